"""SQLAlchemy 1.4 models of the services directory."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import relationship

from assistant.db import Base

# Service types shown to users. The seed's finer types (associazione, centro_ascolto, ...) are kept
# in Service.tipo_fonte; Service.tipo is one of these.
CENTRO_ANTIVIOLENZA = "centro_antiviolenza"
SPORTELLO = "sportello"
CASA_RIFUGIO = "casa_rifugio"
ENTE_GESTORE = "ente_gestore"
SUPPORTO_VITTIME = "supporto_vittime"
ANTITRATTA = "antitratta"
LINEA_NAZIONALE = "linea_nazionale"
SERVICE_TYPES = (
    CENTRO_ANTIVIOLENZA,
    SPORTELLO,
    CASA_RIFUGIO,
    ENTE_GESTORE,
    SUPPORTO_VITTIME,
    ANTITRATTA,
    LINEA_NAZIONALE,
)


class Comune(Base):
    """A comune of Piemonte (the area this service covers)."""

    __tablename__ = "comuni"
    istat = Column(String(6), primary_key=True)
    nome = Column(String(120), nullable=False, index=True)
    provincia = Column(String(2), nullable=False)
    lat = Column(Float, nullable=False)
    lon = Column(Float, nullable=False)
    caps = Column(Text, nullable=False)  # "10121|10122|..."
    codice_catastale = Column(String(4))


class ComuneItalia(Base):
    """Any Italian comune, to recognise places outside Piemonte."""

    __tablename__ = "comuni_italia"
    istat = Column(String(6), primary_key=True)
    nome = Column(String(120), nullable=False)
    provincia = Column(String(2), nullable=False)
    regione = Column(String(60), nullable=False)


class Service(Base):
    __tablename__ = "services"
    id = Column(String(40), primary_key=True)
    tipo = Column(String(30), nullable=False, index=True)
    tipo_fonte = Column(String(60))
    attivo = Column(Boolean, nullable=False, default=True)
    nome = Column(Text, nullable=False)
    ente = Column(Text)
    istat_comune = Column(String(6), ForeignKey("comuni.istat"), nullable=True)
    provincia = Column(String(2))
    indirizzo = Column(Text)  # always NULL for a casa rifugio: the loader never stores it
    telefoni = Column(Text)  # "011 530666|011 5628314"
    telefono_h24 = Column(Text)
    numero_verde = Column(Text)
    email = Column(Text)
    sito = Column(Text)
    orari = Column(Text)
    note = Column(Text)
    # The sources, newest first and ' | '-separated: their addresses, and their dates as written there
    # ("2023-12-07 | n.d."); fonte_data_recente is the newest date found in fonte_data (YYYY, YYYY-MM or
    # YYYY-MM-DD), the one shown to users and used to tell a stale entry.
    fonte_url = Column(Text, nullable=False)
    fonte_data = Column(Text, nullable=False)
    fonte_data_recente = Column(String(10))
    # Maintenance (console): who checked the entry and when; a closed entry is kept but never shown.
    verificato_il = Column(DateTime)
    verificato_da = Column(String(80))
    chiuso_il = Column(DateTime)
    chiuso_da = Column(String(80))
    chiuso_motivo = Column(Text)
    aggiornato_il = Column(DateTime)
    aggiornato_da = Column(String(80))

    comune = relationship(Comune)
    coverage = relationship("Coverage", back_populates="service", cascade="all, delete-orphan")

    @property
    def phone_list(self) -> list:
        return [p for p in (self.telefoni or "").split("|") if p]

    @property
    def chiuso(self) -> bool:
        return bool(self.chiuso_motivo)

    @property
    def shown(self) -> bool:
        """Active (not "in attivazione") and not closed by a maintainer."""
        return bool(self.attivo) and not self.chiuso

    @property
    def reachable(self) -> bool:
        """At least one way to reach the service (a shelter's address never counts: it is not stored)."""
        return bool(
            self.telefoni
            or self.telefono_h24
            or self.numero_verde
            or self.email
            or self.sito
            or (self.indirizzo and self.tipo != CASA_RIFUGIO)
        )


class Coverage(Base):
    """A comune (or a whole province) that a service serves, with the source that says so."""

    __tablename__ = "coverage"
    id = Column(Integer, primary_key=True, autoincrement=True)
    service_id = Column(String(40), ForeignKey("services.id"), nullable=False, index=True)
    istat_comune = Column(String(6), ForeignKey("comuni.istat"), nullable=True, index=True)
    provincia = Column(String(2), nullable=True)
    fonte_url = Column(Text, nullable=False)
    fonte_data = Column(Text, nullable=False)

    service = relationship(Service, back_populates="coverage")


class Meta(Base):
    __tablename__ = "directory_meta"
    key = Column(String(40), primary_key=True)
    value = Column(Text, nullable=False)
