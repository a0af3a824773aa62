"""Console pages to maintain the services directory (supervisors; an `editor` role once the console
has it). Every change goes through assistant.directory.edit: it needs its source and date, bumps the
directory version (the assistant shows it within seconds) and is written to the audit log.

Registered by assistant.console.app.create_app on its own blueprint with
`register(blueprint, url, login_required, render)`,
reusing the console's session, CSRF check and templates."""

from __future__ import annotations

import datetime as dt
from functools import wraps
from typing import Dict, Optional
from urllib.parse import quote

from sanic import response
from sanic.request import Request

from assistant.console.pages import in_thread
from assistant.directory import edit, loader, report
from assistant.directory import models as m
from assistant.directory.nearest import current_version, stale_months
from assistant.handoff import models as hm
from assistant.handoff.service import local_time

EDITOR = hm.EDITOR  # keeps the directory without handling requests
DIRECTORY_ROLES = (hm.SUPERVISOR, EDITOR)
TYPE_LABELS = {
    m.CENTRO_ANTIVIOLENZA: "Centro antiviolenza",
    m.SPORTELLO: "Sportello antiviolenza",
    m.CASA_RIFUGIO: "Casa rifugio",
    m.ENTE_GESTORE: "Servizi sociali (ente gestore)",
    m.SUPPORTO_VITTIME: "Sportello vittime di reato",
    m.ANTITRATTA: "Antitratta",
    m.LINEA_NAZIONALE: "Numero nazionale o regionale",
}
EXPORTS = list(edit.SEED_HEADERS) + ["enti_gestori_comuni.csv"]
MAX_UPLOAD = 900_000


def _day(value: Optional[dt.datetime]) -> str:
    if not value:
        return ""
    return local_time(value)


def register(bp, url: Optional[str], login_required, render) -> None:
    cache: Dict[str, object] = {}

    def directory_role(csrf: bool = False):
        def decorator(handler):
            @wraps(handler)
            async def checked(request: Request, *args, **kwargs):
                if request.ctx.user["role"] not in DIRECTORY_ROLES:
                    return response.text("Non autorizzato", status=403)
                return await handler(request, *args, **kwargs)

            return login_required(csrf=csrf, roles=DIRECTORY_ROLES)(checked)

        return decorator

    def coverage_report():
        """The report (and its map) is computed again only when the directory version changed."""
        version = current_version(url)
        if cache.get("version") != version or "data" not in cache:
            cache.clear()
            cache.update(version=version, data=report.compute(url))
        return cache["data"]

    @bp.get("/elenco")
    @directory_role()
    async def directory_list(request: Request):
        args = request.args
        filters = {
            "tipo": args.get("tipo", ""),
            "provincia": args.get("provincia", ""),
            "stale": args.get("vecchie") == "1",
            "missing_phone": args.get("senza_telefono") == "1",
            "closed": args.get("chiuse") == "1",
        }
        if filters["tipo"] not in TYPE_LABELS:
            filters["tipo"] = ""
        if filters["provincia"] not in loader.PROVINCES:
            filters["provincia"] = ""
        rows = await in_thread(lambda: edit.list_services(url, **filters))
        data = await in_thread(coverage_report)
        return render(
            "directory_list.html",
            user=request.ctx.user,
            rows=rows,
            f=filters,
            types=TYPE_LABELS,
            provinces=report.PROVINCE_ORDER,
            report=data,
            columns=report.COLUMNS,
            exports=EXPORTS,
            kinds=list(edit.NEW_KINDS),
            months=stale_months(),
        )

    @bp.get("/elenco/mappa.png")
    @directory_role()
    async def directory_map(request: Request):
        data = await in_thread(coverage_report)
        png = cache.get("png")
        if not isinstance(png, bytes):
            png = cache["png"] = await in_thread(report.map_png, data)
        return response.raw(png, content_type="image/png")

    def entry_page(request: Request, service_id: str, errors=(), message: str = "", status: int = 200, form=None):
        entry = edit.get(service_id, url)
        if entry is None:
            return response.text("Voce non trovata", status=404)
        for key in ("verificato_il", "chiuso_il", "aggiornato_il"):
            entry[key + "_txt"] = _day(entry[key])
        return render(
            "directory_entry.html",
            http_status=status,
            user=request.ctx.user,
            e=entry,
            labels=edit.LABELS,
            types=TYPE_LABELS,
            errors=list(errors),
            message=message,
            form=form or {},
            shelter=entry["tipo"] == m.CASA_RIFUGIO,
            coverage_text="\n".join(c["label"] for c in entry["coverage"]),
        )

    @bp.get("/elenco/voce/<service_id:str>")
    @directory_role()
    async def directory_entry(request: Request, service_id: str):
        messages = {
            "modifica": "Modifica salvata.",
            "verifica": "Voce segnata come verificata oggi.",
            "chiusura": "Voce chiusa: resta nell'elenco ma non viene più mostrata.",
            "riapertura": "Voce riaperta.",
            "copertura": "Comuni serviti aggiornati.",
            "nuova": "Voce aggiunta.",
            "nessuna": "Nessun valore è cambiato.",
        }
        return entry_page(request, service_id, message=messages.get(request.args.get("ok", ""), ""))

    def back(service_id: str, what: str):
        return response.redirect(f"/elenco/voce/{quote(service_id)}?ok={what}", status=303)

    def form_values(request: Request) -> Dict[str, str]:
        return {key: str(request.form.get(key, "")) for key in edit.EDITABLE if key in request.form}

    @bp.post("/elenco/voce/<service_id:str>/modifica")
    @directory_role(csrf=True)
    async def directory_update(request: Request, service_id: str):
        values = form_values(request)
        try:
            changes = await in_thread(
                edit.update,
                service_id,
                values,
                request.form.get("fonte", ""),
                request.form.get("data_nuova_fonte", ""),
                request.ctx.user["username"],
                url,
            )
        except edit.EditError as err:
            return entry_page(
                request, service_id, errors=err.errors, status=400, form={k: request.form.get(k) for k in request.form}
            )
        return back(service_id, "modifica" if changes else "nessuna")

    @bp.post("/elenco/voce/<service_id:str>/verifica")
    @directory_role(csrf=True)
    async def directory_verify(request: Request, service_id: str):
        try:
            await in_thread(edit.verify, service_id, request.ctx.user["username"], url)
        except edit.EditError as err:
            return response.text(err.errors[0], status=404)
        return back(service_id, "verifica")

    @bp.post("/elenco/voce/<service_id:str>/chiudi")
    @directory_role(csrf=True)
    async def directory_close(request: Request, service_id: str):
        try:
            await in_thread(edit.close, service_id, request.form.get("motivo", ""), request.ctx.user["username"], url)
        except edit.EditError as err:
            return entry_page(request, service_id, errors=err.errors, status=400)
        return back(service_id, "chiusura")

    @bp.post("/elenco/voce/<service_id:str>/riapri")
    @directory_role(csrf=True)
    async def directory_reopen(request: Request, service_id: str):
        try:
            await in_thread(edit.reopen, service_id, request.ctx.user["username"], url)
        except edit.EditError as err:
            return response.text(err.errors[0], status=404)
        return back(service_id, "riapertura")

    @bp.post("/elenco/voce/<service_id:str>/copertura")
    @directory_role(csrf=True)
    async def directory_coverage(request: Request, service_id: str):
        try:
            await in_thread(
                edit.set_coverage,
                service_id,
                request.form.get("comuni", ""),
                request.form.get("fonte", ""),
                request.form.get("data_nuova_fonte", ""),
                request.ctx.user["username"],
                url,
            )
        except edit.EditError as err:
            return entry_page(request, service_id, errors=err.errors, status=400)
        return back(service_id, "copertura")

    @bp.get("/elenco/nuova")
    @directory_role()
    async def directory_new_form(request: Request):
        return render(
            "directory_new.html",
            user=request.ctx.user,
            labels=edit.LABELS,
            kinds=list(edit.NEW_KINDS),
            errors=[],
            form={},
        )

    @bp.post("/elenco/nuova")
    @directory_role(csrf=True)
    async def directory_new(request: Request):
        try:
            service_id = await in_thread(
                edit.add,
                request.form.get("tipo", ""),
                form_values(request),
                request.form.get("fonte", ""),
                request.form.get("data_nuova_fonte", ""),
                request.ctx.user["username"],
                url,
            )
        except edit.EditError as err:
            return render(
                "directory_new.html",
                http_status=400,
                user=request.ctx.user,
                labels=edit.LABELS,
                kinds=list(edit.NEW_KINDS),
                errors=err.errors,
                form={k: request.form.get(k) for k in request.form},
            )
        return back(service_id, "nuova")

    @bp.get("/elenco/esporta/<kind:str>")
    @directory_role()
    async def directory_export(request: Request, kind: str):
        if kind not in EXPORTS:
            return response.text("File sconosciuto", status=404)
        text = await in_thread(edit.export_csv, kind, url)
        return response.raw(
            text.encode("utf-8"),
            content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{kind}"'},
        )

    def import_page(request: Request, preview, text: str = "", status: int = 200):
        return render("directory_import.html", http_status=status, user=request.ctx.user, p=preview, text=text)

    @bp.post("/elenco/importa")
    @directory_role(csrf=True)
    async def directory_import(request: Request):
        upload = request.files.get("file")
        if upload is None or not upload.body:
            return import_page(request, edit.Preview(kind="", filename="", errors=["Scegli un file CSV."]), status=400)
        name = upload.name or "file.csv"
        if len(upload.body) > MAX_UPLOAD:
            return import_page(
                request, edit.Preview(kind="", filename=name, errors=[f"{name}: file troppo grande."]), status=400
            )
        try:
            text = upload.body.decode("utf-8")
        except UnicodeDecodeError:
            return import_page(
                request,
                edit.Preview(kind="", filename=name, errors=[f"{name}:1: il file non è un CSV in UTF-8."]),
                status=400,
            )
        preview = await in_thread(edit.preview_import, name, text, url)
        return import_page(request, preview, text, status=400 if preview.errors else 200)

    @bp.post("/elenco/importa/applica")
    @directory_role(csrf=True)
    async def directory_import_apply(request: Request):
        name, text = request.form.get("filename", ""), request.form.get("testo", "")
        try:
            preview = await in_thread(
                edit.apply_import, name, text, request.form.get("digest", ""), request.ctx.user["username"], url
            )
        except edit.EditError as err:
            failed = await in_thread(edit.preview_import, name, text, url)
            failed.errors = err.errors
            return import_page(request, failed, text, status=409)
        return render("directory_import.html", user=request.ctx.user, p=preview, text="", applied=True)
