"""The document's description: the mapping's 'about', and what every answer of the dialect shares."""
from __future__ import annotations

import json

from facade.core.outcomes import NoRoute, WrongMethod
from facade.dialect.declarations import Dialect
from facade.dialect.documenting.responses import EXAMPLE_FACTS, text

UNMATCHED = (NoRoute, WrongMethod)
ABOUT_PARTS = (("follows_real_server", "Follows the real server"), ("follows_document", "Follows the document"),
               ("departs", "Departs on purpose"))


def description(dialect: Dialect) -> str:
    """The mapping's 'about', and what every answer shares, as Markdown."""
    about = dialect.about
    out = [dialect.description] if dialect.description else []
    out.append(f"Real source: {about.get('real', 'not recorded')}.")
    for key, title in ABOUT_PARTS:
        if about.get(key):
            out.append(f"**{title}:**\n\n" + "\n".join(f"- {item}" for item in about[key]))
    if dialect.ids:
        out.append("**Ids** (what a user shows here: an imported legacy id, else one derived from the core):\n\n"
                   + "\n".join(f"- `{name}` ({spec.type}, else from the core's `{spec.rule}`)"
                                + (f": {spec.description}" if spec.description else "")
                                for name, spec in dialect.ids.items()))
    if dialect.setting_notes:
        out.append("**Settings** (config `dialects.%s.<name>`):\n\n" % dialect.name + "\n".join(
            f"- `{name}` (now `{json.dumps(dialect.settings[name], ensure_ascii=False)}`): {note}"
            for name, note in dialect.setting_notes.items()))
    out.append(f"Every answer is `{dialect.style.content_type}`; the examples show each body as its bytes.")
    if dialect.url_space:
        spaces = ", ".join(f"`{p}`" for p in dialect.url_space)
        lines = [f"Any other path or method under {spaces}:"]
        for outcome in UNMATCHED:
            status, body, _ = dialect.failure_body(outcome, None, EXAMPLE_FACTS)
            note = dialect.entry_note(outcome, None)
            lines.append(f"- {outcome.id}: HTTP {status} `{text(dialect, body)}`" + (f" {note}" if note else ""))
        out.append("\n".join(lines))
    return "\n\n".join(out)
