"""What the reference endpoints return: categories and organisations."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class CategoryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    label_sv: str
    label_en: str
    group: str
    color: str
    near_repeat: bool


class OrganisationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    kind: str
