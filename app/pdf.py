"""HTML → PDF with headless Chromium (Debian's package): the printed sheets look as they do on screen."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from fastapi import HTTPException

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--no-pdf-header-footer"]


def html_to_pdf(html: str, timeout: float = 60) -> bytes:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise HTTPException(503, "PDF needs Chromium on the server: apt-get install chromium")
    with tempfile.TemporaryDirectory() as tmp:
        page, out = Path(tmp) / "page.html", Path(tmp) / "page.pdf"
        page.write_text(html, encoding="utf-8")
        subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp}/profile", f"--print-to-pdf={out}",
                        page.as_uri()], check=False, capture_output=True, timeout=timeout)
        if not out.exists():
            raise HTTPException(503, "Chromium could not print the page to PDF")
        return out.read_bytes()
