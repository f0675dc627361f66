"""dnsmasq's tags, as Kea client classes: what sets a tag becomes the class's test.

Rules this module keeps:
- A tag is a class of the same name. dhcp-match, dhcp-vendorclass, dhcp-userclass, dhcp-mac,
  dhcp-circuitid, dhcp-remoteid, dhcp-subscrid and tag-if each add a test to it (several setters: the
  class tests `or` of them); dhcp-host set: tags are assigned by the reservation instead (read.py).
- A condition on several tags (`tag:a,tag:!b`) becomes a class of its own, `tags-a-not-b`, testing the
  member()s; `known` is Kea's KNOWN. dhcp-ignore adds its condition to the clients to drop (the DROP class).
- Only Kea 2.2's expressions are written. Where dnsmasq matches more loosely (text anywhere in an option;
  one element of a list), Kea's test matches at the start, or the whole option, and a comment says so;
  what Kea cannot test at all (wildcards in the middle of a pattern) is a note.
"""

from __future__ import annotations

from edge.migrate.dnsmasq.model import Model, TagClass
from edge.migrate.dnsmasq.options import option_code
from edge.migrate.dnsmasq.syntax import HEX, MAC, Directive, fail, need, split_fields
from edge.migrate.jsonout import Comment
from edge.wire import options4

__all__ = ["TagDirectives"]


class TagDirectives:
    """The tag handlers (`do_<directive>`) and helpers of read.Reader, which supplies the model."""

    model: Model

    def tag(self, name: str) -> TagClass:
        cls = self.model.tags.get(name)
        if cls is None:
            cls = TagClass(name)
            self.model.tags[name] = cls
        return cls

    def member(self, tag: str) -> str:
        """Kea test for one tag condition (`X` or `!X`)."""
        negate = tag.startswith("!")
        name = tag[1:] if negate else tag
        if name == "known":
            test = "member('KNOWN')"
        else:
            self.tag(name).referenced = True
            test = f"member('{name}')"
        return f"not {test}" if negate else test

    def condition_class(self, tags: list[str], d: Directive) -> str:
        if len(tags) == 1 and not tags[0].startswith("!"):
            if tags[0] == "known":
                return "KNOWN"
            self.member(tags[0])
            return tags[0]
        test = " and ".join(f"({self.member(t)})" if len(tags) > 1 else self.member(t) for t in tags)
        name = "tags-" + "-".join(t.replace("!", "not-") for t in tags)
        cls = self.tag(name)
        if not cls.conditions:
            cls.conditions.append(test)
            cls.depends.update(t.lstrip("!") for t in tags)
            cls.items.append(Comment(f"made for a condition on tags {', '.join(tags)} (line {d.line})"))
        return name

    def set_condition(self, d: Directive, setter: str, test: str) -> None:
        name = setter[4:] if setter.startswith("set:") else setter
        if not name:
            raise fail(d, f"{d.name} needs set:<tag>")
        cls = self.tag(name)
        cls.conditions.append(test)

    def mac_test(self, d: Directive, mac: str) -> str:
        if "-" in mac.split(":")[0]:
            mac = mac.split("-", 1)[1]
        parts = mac.split(":")
        if "*" not in mac:
            return "pkt4.mac == 0x" + "".join(f"{int(p, 16):02x}" for p in parts)
        head = []
        for p in parts:
            if p == "*":
                break
            head.append(p)
        if any(p != "*" for p in parts[len(head) :]):
            self.model.note(
                d, "a hardware-address pattern with a wildcard in the middle has no Kea expression"
            )
            return ""
        if not head:
            return "member('ALL')"
        return f"substring(pkt4.mac,0,{len(head)}) == 0x" + "".join(f"{int(p, 16):02x}" for p in head)

    def do_dhcp_match(self, d: Directive) -> None:
        fields = split_fields(need(d))
        if len(fields) < 2:
            raise fail(d, "dhcp-match needs set:<tag> and an option")
        setter, spec, values = fields[0], fields[1], fields[2:]
        if spec.lower().startswith("vi-encap:"):
            number = spec[9:]
            if not number.isdigit():
                raise fail(d, "vi-encap: needs an enterprise number")
            if values:
                return self.model.note(
                    d, "matching the content of a vendor-identifying option has no Kea 2.2 expression"
                )
            return self.set_condition(d, setter, f"vendor[{int(number)}].exists")
        code = option_code(d, spec)
        if not values:
            return self.set_condition(d, setter, f"option[{code}].exists")
        value = ",".join(values)
        if "*" in value:
            parts = value.split(":")
            head = []
            for p in parts:
                if p == "*":
                    break
                head.append(p)
            if any(p != "*" for p in parts[len(head) :]) or not all(HEX.match(p + ":00") for p in head):
                return self.model.note(
                    d, "a value pattern with a wildcard in the middle has no Kea expression"
                )
            return self.set_condition(
                d,
                setter,
                f"substring(option[{code}].hex,0,{len(head)}) == 0x"
                + "".join(f"{int(p, 16):02x}" for p in head),
            )
        if HEX.match(value):
            return self.set_condition(d, setter, f"option[{code}].hex == 0x" + value.replace(":", "").lower())
        if value.isdigit() or (value[:-1].isdigit() and value[-1] in "bsi"):
            defn = options4.by_code(code)
            width = {"b": 1, "s": 2, "i": 4}.get(value[-1]) if not value.isdigit() else None
            number = int(value if value.isdigit() else value[:-1])
            if width is None:
                width = {"uint8": 1, "int8": 1, "uint16": 2, "int16": 2}.get(defn.type if defn else "", 4)
            if number >= 1 << (8 * width):
                raise fail(d, f"{number} does not fit the option")
            if defn is not None and defn.array:
                self.model.items.append(
                    Comment(
                        f"dhcp-match line {d.line}: dnsmasq matches one element of the "
                        f"option's list; this matches a client that sends just that value"
                    )
                )
            return self.set_condition(d, setter, f"option[{code}].hex == 0x{number:0{2 * width}x}")
        self.model.items.append(
            Comment(
                f"dhcp-match line {d.line}: dnsmasq matches the text anywhere in the "
                "option; Kea 2.2 can match it at the start only"
            )
        )
        return self.set_condition(d, setter, _prefix_test(f"option[{code}].hex", value.encode()))

    def do_dhcp_vendorclass(self, d: Directive) -> None:
        fields = split_fields(need(d))
        if len(fields) < 2:
            raise fail(d, "dhcp-vendorclass needs set:<tag> and a vendor class")
        if fields[1].lower().startswith("enterprise:"):
            return self.model.note(d, "enterprise-numbered vendor classes are DHCPv6")
        value = ",".join(fields[1:])
        self.model.items.append(
            Comment(
                f"dhcp-vendorclass line {d.line}: dnsmasq matches the text anywhere in "
                "the vendor class; Kea 2.2 can match it at the start only"
            )
        )
        self.set_condition(d, fields[0], _prefix_test("option[60].hex", value.encode()))

    def do_dhcp_userclass(self, d: Directive) -> None:
        fields = split_fields(need(d))
        if len(fields) < 2:
            raise fail(d, "dhcp-userclass needs set:<tag> and a user class")
        value = ",".join(fields[1:]).encode()
        # RFC 3004: each user class is length-prefixed; this matches the first one.
        self.model.items.append(
            Comment(
                f"dhcp-userclass line {d.line}: matched at the start of the client's "
                "first user class (dnsmasq matches anywhere)"
            )
        )
        self.set_condition(d, fields[0], f"substring(option[77].hex,1,{len(value)}) == " + _literal(value))

    def do_dhcp_mac(self, d: Directive) -> None:
        fields = split_fields(need(d))
        if len(fields) != 2 or not MAC.match(fields[1]):
            raise fail(d, "dhcp-mac needs set:<tag> and a hardware address")
        test = self.mac_test(d, fields[1])
        if test:
            self.set_condition(d, fields[0], test)

    def relay_match(self, d: Directive, sub: int) -> None:
        fields = split_fields(need(d))
        if len(fields) != 2:
            raise fail(d, f"{d.name} needs set:<tag> and a value")
        value = fields[1]
        data = bytes(int(p, 16) for p in value.split(":")) if HEX.match(value) else value.encode()
        self.set_condition(
            d, fields[0], f"relay4[{sub}].hex == " + _literal(data, HEX.match(value) is not None)
        )

    def do_dhcp_circuitid(self, d: Directive) -> None:
        self.relay_match(d, 1)

    def do_dhcp_remoteid(self, d: Directive) -> None:
        self.relay_match(d, 2)

    def do_dhcp_subscrid(self, d: Directive) -> None:
        self.relay_match(d, 6)

    def do_tag_if(self, d: Directive) -> None:
        fields = split_fields(need(d))
        sets = [f[4:] for f in fields if f.startswith("set:")]
        conds = [f[4:] for f in fields if f.startswith("tag:")]
        if not sets or len(sets) + len(conds) != len([f for f in fields if f]):
            raise fail(d, "tag-if takes set:<tag> and tag:<tag> fields only")
        if any("*" in c for c in conds):
            return self.model.note(d, "tag wildcards (interface-name patterns) have no Kea equivalent")
        test = (
            " and ".join(f"({self.member(c)})" if len(conds) > 1 else self.member(c) for c in conds)
            if conds
            else "member('ALL')"
        )
        for s in sets:
            cls = self.tag(s)
            cls.conditions.append(test)
            cls.depends.update(c.lstrip("!") for c in conds)

    def do_dhcp_ignore(self, d: Directive) -> None:
        tags = [f[4:] for f in split_fields(need(d)) if f.startswith("tag:")]
        if not tags:
            raise fail(d, "dhcp-ignore needs tag:<tag>")
        self.model.drop.append(
            " and ".join(f"({self.member(t)})" if len(tags) > 1 else self.member(t) for t in tags)
        )


def _literal(data: bytes, hex_form: bool = False) -> str:
    if not hex_form and data and all(32 <= b < 127 for b in data) and b"'" not in data:
        return "'" + data.decode() + "'"
    return "0x" + data.hex()


def _prefix_test(field: str, data: bytes) -> str:
    return f"substring({field},0,{len(data)}) == {_literal(data)}"
