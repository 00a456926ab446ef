"""Text that XML (and so an Atom feed) can carry.

XML 1.0 has no way to write most C0 control characters, U+FFFE/U+FFFF or a lone surrogate, not even
escaped: one such character in a statement made the public feed invalid for every reader
(issue #24, finding 12). Statements are cleaned when drafted, and the feed cleans again on the
way out, for rows stored before.
"""

from __future__ import annotations

import re

# Everything outside XML 1.0's Char production: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    """`text` without the characters XML 1.0 cannot carry (tab, newline and carriage return stay)."""
    return NOT_XML.sub("", text)
