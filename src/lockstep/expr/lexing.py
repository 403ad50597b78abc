"""Small pieces shared by lockstep's little languages (lock rules, the emulator's
formulas): quoted-string bodies and how deeply a text nests its brackets."""

from __future__ import annotations

ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"'}


def unquote(body: str) -> str:
    """A quoted literal's body with its backslash escapes resolved."""
    out: list[str] = []
    chars = iter(body)
    for ch in chars:
        if ch == "\\":
            nxt = next(chars, "")
            out.append(ESCAPES.get(nxt, nxt))
        else:
            out.append(ch)
    return "".join(out)


def nesting(text: str, opens: str = "(", closes: str = ")") -> int:
    """The deepest bracket nesting in ``text`` (quotes are not told apart: an upper
    bound, checked before parsing so a hostile input cannot exhaust the stack)."""
    depth = deepest = 0
    for ch in text:
        if ch in opens:
            depth += 1
            deepest = max(deepest, depth)
        elif ch in closes:
            depth -= 1
    return deepest
