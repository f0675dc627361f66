"""Tests of the board tools (edge/board) and the Raspberry Pi image (board/); see tests/board/test_image.py."""
