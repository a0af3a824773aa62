"""Redaction of personal data in transcripts shown to operators (on by default)."""
from __future__ import annotations

import re

PLACEHOLDERS = {"phone": "[telefono]", "email": "[email]", "cf": "[codice fiscale]", "address": "[indirizzo]"}
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_CF = re.compile(r"\b[A-Z]{6}\d{2}[A-EHLMPR-T]\d{2}[A-Z]\d{3}[A-Z]\b", re.IGNORECASE)
_PHONE = re.compile(r"(?<![\w/])(?:\+|00)?\d(?:[\s./-]?\d){5,14}(?![\w/])")
_ADDRESS = re.compile(
    r"\b(?:via|viale|corso|c\.so|piazza|p\.zza|piazzale|largo|vicolo|strada|località|loc\.|borgata|frazione)"
    r"\s+[A-Za-zÀ-ÿ'.\s]{2,40}?(?:,?\s*(?:n\.?\s*)?\d+[A-Za-z]?(?:/\d*[A-Za-z]?)?)", re.IGNORECASE)


def redact(text: str) -> str:
    if not text:
        return text
    text = _EMAIL.sub(PLACEHOLDERS["email"], text)
    text = _CF.sub(PLACEHOLDERS["cf"], text)
    text = _ADDRESS.sub(PLACEHOLDERS["address"], text)
    text = _PHONE.sub(PLACEHOLDERS["phone"], text)
    return text
