"""Classification passes in Kea's order: first pass, reserved classes (#1139), KNOWN pass, required classes."""

from __future__ import annotations

from edge.config.model import ClientClass
from edge.dhcp4.config import load_data
from edge.expr.language import PacketView4
from edge.policy.classify import Classifier
from edge.wire import pkt4 as wire


def packet(**options: bytes) -> wire.Packet:
    pkt = wire.Packet()
    pkt.set(53, b"\x01")
    for name, value in options.items():
        pkt.set(int(name.removeprefix("o")), value)
    return pkt


def classes_of(classifier: Classifier, pkt: wire.Packet) -> tuple[PacketView4, dict[str, None]]:
    v = PacketView4(pkt)
    return v, classifier.first_pass(v)


def test_first_pass_in_definition_order_with_vendor_class() -> None:
    c = Classifier(
        (
            ClientClass("b", test="option[60].exists"),
            ClientClass("a", test="member('b')"),
            ClientClass("never", test="'x' == 'y'"),
            ClientClass("late", test="option[60].exists", only_if_required=True),
            ClientClass("known-dep", test="member('KNOWN')"),
            ClientClass("no-test"),
        )
    )
    _, got = classes_of(c, packet(o60=b"docsis3.0"))
    assert list(got) == ["ALL", "VENDOR_CLASS_docsis3.0", "b", "a"]


def test_known_pass_adds_known_and_its_dependents() -> None:
    c = Classifier(
        (
            ClientClass("known-dep", test="member('KNOWN')"),
            ClientClass("second", test="member('known-dep') or member('UNKNOWN')"),
        )
    )
    v, got = classes_of(c, packet())
    assert list(got) == ["ALL"]
    c.known_pass(v, got, known=True)
    assert list(got) == ["ALL", "KNOWN", "known-dep", "second"]
    v, got = classes_of(c, packet())
    c.known_pass(v, got, known=False)
    assert list(got) == ["ALL", "UNKNOWN", "second"]


def test_reserved_classes_reevaluate_the_first_pass() -> None:
    """Kea #1139: `not member('cameras')` must see a reserved `cameras`."""
    c = Classifier((ClientClass("cameras"), ClientClass("others", test="not member('cameras')")))
    v, got = classes_of(c, packet())
    assert "others" in got
    c.with_reserved(v, got, ("cameras",), reevaluate=True)
    assert "cameras" in got and "others" not in got
    # Without re-evaluation the stale first-pass result would stay (what Kea did before 1.6.3).
    v, got = classes_of(c, packet())
    c.with_reserved(v, got, ("cameras",), reevaluate=False)
    assert {"cameras", "others"} <= set(got)


def test_required_classes_are_evaluated_only_when_asked_and_need_a_test() -> None:
    c = Classifier(
        (
            ClientClass("late", test="option[60].exists", only_if_required=True),
            ClientClass("late-untested", only_if_required=True),
            ClientClass("ordinary", test="'a' == 'b'"),
        )
    )
    v, got = classes_of(c, packet(o60=b"x"))
    assert "late" not in got
    c.required(v, got, ["late", "late-untested", "undefined"])
    assert "late" in got and "late-untested" not in got and "undefined" not in got


def test_a_test_failing_at_run_time_is_no_match_and_drop_is_reported() -> None:
    c = Classifier(
        (
            ClientClass("broken", test="addrtotext(option[60].hex) == 'x'"),
            ClientClass("DROP", test="option[60].text == 'abc'"),
        )
    )
    _, got = classes_of(c, packet(o60=b"abc"))
    assert "broken" not in got and Classifier.dropped(got)


def test_the_loader_compiles_each_test_once() -> None:
    config = load_data(
        {
            "Dhcp4": {
                "client-classes": [
                    {"name": "a", "test": "option[60].exists"},
                    {"name": "b", "test": "member('a') and unknown"},
                ]
            }
        }
    )
    a, b = config.client_classes
    assert a.expression is not None and b.expression is not None and b.expression.depends_on_known
    c = Classifier(config.client_classes)
    assert c.defs[0].expression is a.expression  # the loader's, not compiled again
