# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Files the collection writes on the controller: replaced atomically, with their mode set before the first byte."""

from __future__ import annotations

import os
import tempfile


def write_atomic(path, text, mode=0o600, prefix=".cw-key-"):
    """Replace ``path`` with ``text``. The temporary file gets ``mode`` before anything is written to it, so a private
    file (a key pair, a capture) is never readable by others, not even half-written; a missing folder is created 0700."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, mode=0o700, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=prefix)
    try:
        os.fchmod(handle, mode)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
