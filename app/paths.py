"""Where the project's shipped files live (data/, frontend/, migrations/)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
FRONTEND = ROOT / "frontend"
ALEMBIC_INI = ROOT / "alembic.ini"
