"""Option definitions as data and Kea ``data`` text <-> wire, for any option space of either family.

Rules this module keeps:
- An OptionDef names a type from types.py (or "record" with a tuple of field
  types), an array flag and the space it encapsulates.  A family's standard
  table (options4.py; options6.py for DHCPv6) is rows of those fields, loaded
  into an OptionRegistry once and never changed at run time.  Custom
  ``option-def`` entries go into a copy the config loader owns.
- Nothing here knows a family: code ranges, reserved codes and the default
  space come from the family module that builds the definitions.
- text_to_wire raises only OptionTextError; wire_to_text raises only DecodeError.
- MicroPython subset: no annotations, f-strings, dataclasses or enum.

Theory of operation.  An OptionDef names a type from types.py (or "record"
with a tuple of field types).  Kea's csv-format text is split on unescaped
commas ("\\," is a literal comma) and blanks around each field are dropped;
then
  - a plain option takes exactly one field;
  - an array option takes zero or more fields, one item each;
  - a record takes one field per record type; with the array flag the last
    record type repeats over the remaining fields (at least one);
  - more fields than a non-array option has are an error, or, when the
    caller passes an ``ignored`` list (the config loader does, and warns),
    dropped unchecked as Kea 2.2's optionFactory drops them: it writes one
    value per record field (values[0] for a plain option) and no more;
  - "whole text" types (classless-route, vivso) take the unsplit string;
  - an empty-type option takes no text, except that one which encapsulates a
    space (43, 82) also accepts its raw sub-options as hex, so that
    wire_to_text output always parses back;
  - an option that carries sub-options after fields of its own (DHCPv6's
    IA_NA, IAADDR, vendor-opts, s46-rule...: see ``OptionDef.carries``) takes
    its fields and then, optionally, one more field: the raw sub-options as
    hex.  Kea's data (the fields alone) means "no sub-options here"; the
    sub-options of a configuration come from their own space.
wire_to_text escapes commas in the fields it writes, so its output parses
back.  Kea's csv rules cannot say everything: blanks at either end of a text
field are lost, and a field that ends in a backslash escapes the comma after
it; such values need csv_format=False (hex).
With csv_format=False the data is hex for any option (hex_to_bytes).  On the
wire, arrays and records are the items back to back; fixed-size items must
fill the payload exactly, except in an option that ``carries`` sub-options,
where whatever follows the fields is its sub-options.

The type table is the family's: DHCPv4 definitions use types.TYPES, DHCPv6
ones types.TYPES6 (whose tuple has a 16-bit length); make_def and OptionDef
take it as ``types``.
"""

from edge.wire.errors import DecodeError, OptionTextError
from edge.wire.types import TYPES, bytes_to_hex, escape_csv, hex_to_bytes

__all__ = [
    "OptionDef",
    "OptionRegistry",
    "make_def",
    "text_to_wire",
    "wire_to_text",
    "wire_to_value",
    "value_to_wire",
    "hex_to_bytes",
    "split_csv",
    "fields_wanted",
]


# ---------------------------------------------------------------- definitions


class OptionDef:
    """One option's format.  Plain attributes; treat as immutable once made.

    ``encapsulate`` is Kea's field: the space whose options a configuration
    folds into this one.  ``sub_space`` names where sub-options that follow
    this option's fields on the wire come from when Kea's table gives no
    ``encapsulate`` but its option class parses them (DHCPv6 IA_NA, IAADDR,
    IA_PD, IAPREFIX, IA_TA in "dhcp6"; vendor-opts in "vendor-<enterprise>").
    ``carries`` is true when the payload is fields then sub-options: some
    space is named, the type is not empty, not an array, and its last field
    does not take the rest of the payload.
    """

    def __init__(
        self,
        code,
        name,
        type,
        array=False,
        record_types=(),
        space="",
        encapsulate="",
        types=None,
        sub_space="",
    ):
        self.code = code
        self.name = name
        self.type = type
        self.array = bool(array)
        self.record_types = tuple(record_types)
        self.space = space
        self.encapsulate = encapsulate or ""
        self.sub_space = sub_space or ""
        self.types = types or TYPES
        table = self.types
        if type == "record":
            self._codecs = tuple([table[t] for t in self.record_types])
            self._codec = None
            last = self._codecs[-1] if self._codecs else None
        else:
            self._codecs = ()
            self._codec = table[type]
            last = self._codec
        self.carries = bool(
            (self.encapsulate or self.sub_space)
            and type != "empty"
            and not self.array
            and last is not None
            and not last.rest
            and not last.whole_text
        )

    def __repr__(self):
        return "OptionDef(%d, %r, %r, array=%r, record_types=%r, space=%r, encapsulate=%r, sub_space=%r)" % (
            self.code,
            self.name,
            self.type,
            self.array,
            self.record_types,
            self.space,
            self.encapsulate,
            self.sub_space,
        )

    def __eq__(self, other):
        return isinstance(other, OptionDef) and self._key() == other._key()

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash(self._key())

    def _key(self):
        return (
            self.code,
            self.name,
            self.type,
            self.array,
            self.record_types,
            self.space,
            self.encapsulate,
            self.sub_space,
            self.types is TYPES,
        )


_NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_."


def _split_types(record_types):
    if isinstance(record_types, str):
        return tuple([t.strip() for t in record_types.split(",") if t.strip()])
    return tuple(record_types or ())


def make_def(
    code,
    name,
    space,
    type="binary",
    array=False,
    record_types=(),
    encapsulate="",
    max_code=255,
    types=None,
    sub_space="",
):
    """Validate one option definition (Kea ``option-def`` fields) and build it.

    ``record_types`` is a tuple of type names or Kea's comma-separated string.
    The family decides ``max_code`` (255 for DHCPv4 spaces, 65535 for DHCPv6
    ones), its type table ``types`` (types.TYPES or types.TYPES6) and checks
    its own reserved codes (options4.make_def, options6.make_def).  Raises
    ValueError naming the problem.
    """
    table = types or TYPES
    if not isinstance(code, int) or isinstance(code, bool) or code < 0 or code > max_code:
        raise ValueError("option code %r is not in 0..%d" % (code, max_code))
    if not isinstance(name, str) or name == "":
        raise ValueError("option name must be a non-empty string")
    for c in name:
        if c not in _NAME_CHARS:
            raise ValueError("option name %r has the invalid character %r" % (name, c))
    if all([c in "0123456789" for c in name]):
        raise ValueError("option name %r must not be a number" % name)
    if not isinstance(space, str) or space == "":
        raise ValueError("option space must be a non-empty string")
    rtypes = _split_types(record_types)
    if type == "record":
        if not rtypes:
            raise ValueError("option %r is a record but has no record-types" % name)
        for i, t in enumerate(rtypes):
            codec = table.get(t)
            if codec is None or t in ("empty",) or codec.whole_text:
                raise ValueError("record field type %r of option %r is not allowed" % (t, name))
            last = i == len(rtypes) - 1
            if codec.rest and not last:
                raise ValueError("only the last record field of %r may be %s" % (name, t))
            if last and array and not codec.arrayable:
                raise ValueError("the last record field of array option %r cannot be %s" % (name, t))
    else:
        codec = table.get(type)
        if codec is None:
            raise ValueError("unknown option type %r for option %r" % (type, name))
        if rtypes:
            raise ValueError("record-types given for option %r whose type is %s, not record" % (name, type))
        if array and not codec.arrayable:
            raise ValueError("option %r: an array of %s is not allowed" % (name, type))
    return OptionDef(code, name, type, array, rtypes, space, encapsulate, table, sub_space)


class OptionRegistry:
    """Option definitions by (space, code) and (space, name).

    Starts as a copy of a family's standard table; ``add`` takes custom
    definitions.  Redefining a standard option is refused unless
    ``replace=True``, except for the (space, code) keys in ``replaceable``:
    options of ours that Kea does not define give way to a configuration's
    own option-def, so a Kea configuration that defines them loads unchanged.
    ``default_space`` is the family's top-level space, used by lookups that
    name none.
    """

    def __init__(self, base=None, default_space="", replaceable=()):
        self._by_code = {}
        self._by_name = {}
        self.default_space = default_space
        self.replaceable = frozenset(replaceable)
        if base is not None:
            self.default_space = base.default_space
            self.replaceable = base.replaceable
            for key in base._by_code:
                d = base._by_code[key]
                self._by_code[key] = d
                self._by_name[(d.space, d.name)] = d

    def add(self, defn, replace=False):
        old_c = self._by_code.get((defn.space, defn.code))
        old_n = self._by_name.get((defn.space, defn.name))
        if old_c is not None and (old_c.space, old_c.code) in self.replaceable:
            if old_n is None or old_n is old_c:
                replace = True
        if not replace:
            if old_c is not None:
                raise ValueError(
                    "option code %d is already defined in space %s as %r"
                    % (defn.code, defn.space, old_c.name)
                )
            if old_n is not None:
                raise ValueError(
                    "option name %r is already defined in space %s (code %d)"
                    % (defn.name, defn.space, old_n.code)
                )
        if old_c is not None:
            self._by_name.pop((old_c.space, old_c.name), None)
        if old_n is not None:
            self._by_code.pop((old_n.space, old_n.code), None)
        self._by_code[(defn.space, defn.code)] = defn
        self._by_name[(defn.space, defn.name)] = defn
        return defn

    def by_code(self, code, space=None):
        return self._by_code.get((space or self.default_space, code))

    def by_name(self, name, space=None):
        return self._by_name.get((space or self.default_space, name))

    def defs(self, space=None):
        """Definitions of one space, by code."""
        space = space or self.default_space
        out = [d for d in self._by_code.values() if d.space == space]
        out.sort(key=lambda d: d.code)
        return out

    def spaces(self):
        seen = {}
        for d in self._by_code.values():
            seen[d.space] = True
        return sorted(seen.keys())

    def copy(self):
        return OptionRegistry(self)

    def __len__(self):
        return len(self._by_code)


# ---------------------------------------------------------------- text <-> wire


def split_csv(text):
    """Split Kea csv-format data on unescaped commas; strip blanks around fields.

    "\\," is a literal comma; a backslash before anything else stays as is.
    A blank string has no fields.
    """
    if text.strip() == "":
        return []
    fields = []
    cur = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n and text[i + 1] == ",":
            cur.append(",")
            i += 2
            continue
        if c == ",":
            fields.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
        i += 1
    fields.append("".join(cur).strip())
    return fields


def _item_from_text(codec, field, defn):
    try:
        return codec.to_wire(codec.from_text(field))
    except OptionTextError as e:
        raise OptionTextError("option %s (%d): %s" % (defn.name, defn.code, e.message)) from None


def fields_wanted(defn):
    """What ``defn``'s csv text holds, for messages: "3 fields (uint8, uint16, binary)", "one uint8 value"."""
    if defn.type == "record":
        return "%d fields (%s)" % (len(defn.record_types), ", ".join(defn.record_types))
    return "one %s value" % defn.type


def text_to_wire(defn, text, csv_format=True, ignored=None):
    """Kea ``data`` text for ``defn`` -> option payload bytes (OptionTextError if bad).

    More values than a non-array option has fields is an error unless
    ``ignored`` is a list: then, as Kea 2.2's OptionDefinition::optionFactory
    does, each field takes its value, the values past the last field are left
    out of the payload unchecked, and they are appended to ``ignored`` so the
    caller can warn.  (An array record repeats its last field over them.)
    """
    if not isinstance(text, str):
        raise OptionTextError("option %s: data must be a string" % defn.name)
    if not csv_format:
        try:
            return hex_to_bytes(text)
        except OptionTextError as e:
            raise OptionTextError("option %s (%d): %s" % (defn.name, defn.code, e.message)) from None
    codec = defn._codec
    if codec is not None and codec.whole_text:
        return _item_from_text(codec, text, defn)
    if defn.type == "empty":
        if text.strip() == "":
            return b""
        if defn.encapsulate:
            try:
                return hex_to_bytes(text)
            except OptionTextError as e:
                raise OptionTextError(
                    "option %s (%d) carries %s sub-options: give no data or their raw hex (%s)"
                    % (defn.name, defn.code, defn.encapsulate, e.message)
                ) from None
        raise OptionTextError(
            "option %s (%d) is empty and takes no data, got %r" % (defn.name, defn.code, text)
        )
    fields = split_csv(text)
    subs = b""
    if defn.carries:
        n = len(defn._codecs) if defn.type == "record" else 1
        if len(fields) == n + 1:
            try:
                subs = hex_to_bytes(fields[n])
                fields = fields[:n]
            except OptionTextError as e:
                if ignored is None:
                    raise OptionTextError(
                        "option %s (%d): the field after its %d value%s must be its raw sub-options as hex (%s)"
                        % (defn.name, defn.code, n, "s" if n > 1 else "", e.message)
                    ) from None
                # not sub-options: a surplus value, left for the code below to drop as Kea does
    if defn.type == "record":
        n = len(defn._codecs)
        if ignored is not None and not defn.array and len(fields) > n:
            ignored.extend(fields[n:])
            fields = fields[:n]
        return _record_from_fields(defn, fields) + subs
    if defn.array:
        return b"".join([_item_from_text(codec, f, defn) for f in fields])
    if ignored is not None and len(fields) > 1:
        ignored.extend(fields[1:])
        fields = fields[:1]
    if len(fields) > 1:
        raise OptionTextError(
            "option %s (%d) takes one %s value%s, got %d (escape a comma in text as \\\\,)"
            % (
                defn.name,
                defn.code,
                defn.type,
                " and optionally its sub-options as hex" if defn.carries else "",
                len(fields),
            )
        )
    return _item_from_text(codec, fields[0] if fields else "", defn) + subs


def _record_from_fields(defn, fields):
    codecs = defn._codecs
    n = len(codecs)
    if len(fields) < n:
        last = codecs[-1]
        if len(fields) == n - 1 and last.rest and not defn.array:
            fields = fields + [""]  # a trailing string/binary field may be left out
        else:
            raise OptionTextError(
                "option %s (%d) needs %s%d fields (%s), got %d"
                % (
                    defn.name,
                    defn.code,
                    "at least " if defn.array else "",
                    n,
                    ", ".join(defn.record_types),
                    len(fields),
                )
            )
    if len(fields) > n and not defn.array:
        raise OptionTextError(
            "option %s (%d) takes %d fields (%s), got %d (escape a comma in text as \\\\,)"
            % (defn.name, defn.code, n, ", ".join(defn.record_types), len(fields))
        )
    out = []
    for i in range(n - 1):
        out.append(_item_from_text(codecs[i], fields[i], defn))
    for f in fields[n - 1 :]:
        out.append(_item_from_text(codecs[-1], f, defn))
    return b"".join(out)


def _read_fields(defn, payload, end):
    """The value of defn's fields read from payload[0:...] -> (value, position after them)."""
    codec = defn._codec
    if defn.type == "record":
        codecs = defn._codecs
        values = []
        pos = 0
        for i in range(len(codecs) - 1):
            v, pos = codecs[i].read(payload, pos, end)
            values.append(v)
        last = codecs[-1]
        if defn.array:
            items = []
            while pos < end:
                v, pos = last.read(payload, pos, end)
                items.append(v)
            if not items:
                raise DecodeError("bad-option-data", "option %s: array field has no items" % defn.name)
            values.append(items)
        else:
            v, pos = last.read(payload, pos, end)
            values.append(v)
        return values, pos
    return codec.read(payload, 0, end)


def wire_to_value(defn, payload):
    """Payload bytes -> value: item, list of items (array) or list of fields (record).

    For an option that ``carries`` sub-options the value is [fields value,
    sub-option bytes] (b"" when there are none).
    """
    codec = defn._codec
    end = len(payload)
    if defn.carries:
        value, pos = _read_fields(defn, payload, end)
        return [value, bytes(payload[pos:end])]
    if defn.type == "record":
        values, pos = _read_fields(defn, payload, end)
        if pos != end:
            raise DecodeError("bad-option-data", "option %s: %d trailing bytes" % (defn.name, end - pos))
        return values
    if defn.type == "empty":
        if payload and not defn.encapsulate:
            raise DecodeError("bad-option-data", "option %s is empty but has %d bytes" % (defn.name, end))
        return bytes(payload) if defn.encapsulate else None
    if defn.array:
        items = []
        pos = 0
        while pos < end:
            v, pos = codec.read(payload, pos, end)
            items.append(v)
        return items
    return codec.from_wire(payload)


def _fields_to_wire(defn, value):
    codec = defn._codec
    if defn.type == "record":
        codecs = defn._codecs
        out = []
        for i in range(len(codecs) - 1):
            out.append(codecs[i].to_wire(value[i]))
        if defn.array:
            for v in value[len(codecs) - 1]:
                out.append(codecs[-1].to_wire(v))
        else:
            out.append(codecs[-1].to_wire(value[len(codecs) - 1]))
        return b"".join(out)
    if defn.array:
        return b"".join([codec.to_wire(v) for v in value])
    return codec.to_wire(value)


def value_to_wire(defn, value):
    """The inverse of wire_to_value (OptionTextError for a value that does not fit)."""
    if defn.carries:
        return _fields_to_wire(defn, value[0]) + bytes(value[1])
    if defn.type == "empty":
        return bytes(value) if (defn.encapsulate and value) else b""
    return _fields_to_wire(defn, value)


def _fields_to_text(defn, value):
    codec = defn._codec
    if defn.type == "record":
        codecs = defn._codecs
        parts = []
        for i in range(len(codecs) - 1):
            parts.append(escape_csv(codecs[i].to_text(value[i])))
        if defn.array:
            for v in value[-1]:
                parts.append(escape_csv(codecs[-1].to_text(v)))
        else:
            parts.append(escape_csv(codecs[-1].to_text(value[-1])))
        return ", ".join(parts)
    if codec.whole_text:
        return codec.to_text(value)
    if defn.array:
        return ", ".join([escape_csv(codec.to_text(v)) for v in value])
    return escape_csv(codec.to_text(value))


def wire_to_text(defn, payload):
    """Option payload -> Kea csv-format text (DecodeError when the payload is malformed)."""
    value = wire_to_value(defn, payload)
    if defn.carries:
        text = _fields_to_text(defn, value[0])
        return text + ", " + bytes_to_hex(value[1]) if value[1] else text
    if defn.type == "empty":
        return bytes_to_hex(value) if value else ""
    return _fields_to_text(defn, value)
