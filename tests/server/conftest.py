"""Lab fixtures for the lab tests here (see tests/lab/fixtures.py)."""

from tests.lab.fixtures import lab, lab_ready, resolv_conf_guard

__all__ = ["lab", "lab_ready", "resolv_conf_guard"]
