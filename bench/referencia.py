"""R1's second baseline: the client 360 read by hand with SQLAlchemy Core + Pydantic.

The same rows the CRM's `GET /api/clientes/{id}` answers (the client, its contacts, its 10
newest activities, its open opportunities and the stored health row `salud_cliente`), read
with five Core `select()`s in one read-only transaction and validated into the service's
own wire models, so the JSON is the same shape. No engines, no ORM, no middlewares: what
the 360 costs above this is what the service adds. Served like the CRM (`driver.servidor`),
on the same database (`DATABASE_URL`), with the same connection settings
(`kit.db.create_db_engine`), as many reads in threads at once (`CRM_HILOS_LECTURA`) and
the same Bearer key check.
"""

from __future__ import annotations

import os
from contextlib import asynccontextmanager
from typing import Annotated, Any

import anyio
from fastapi import FastAPI, Header, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine, select

from smartbilling_crm.actividades.schemas import ActividadRead
from smartbilling_crm.clientes.schemas import ClienteRead
from smartbilling_crm.contactos.schemas import ContactoRead
from smartbilling_crm.kit.db import READ_ONLY, create_db_engine, pool_por_proceso
from smartbilling_crm.models import Actividad, Cliente, Contacto, Oportunidad, SaludCliente
from smartbilling_crm.oportunidades.schemas import OportunidadRead
from smartbilling_crm.salud.schemas import SaludRead

ACTIVIDADES_RECIENTES = 10
CERRADAS = ("ganada", "perdida")

clientes = Cliente.__table__
contactos = Contacto.__table__
actividades = Actividad.__table__
oportunidades = Oportunidad.__table__
salud = SaludCliente.__table__


@asynccontextmanager
async def lifespan(app: FastAPI) -> Any:
    engine = create_db_engine(
        os.environ["DATABASE_URL"],
        pool=pool_por_proceso(int(os.environ.get("CRM_DB_MAX_CONEXIONES", "30")), 1),
    )
    app.state.engine = engine
    app.state.carril = anyio.Semaphore(int(os.environ.get("CRM_HILOS_LECTURA", "2")))
    try:
        yield
    finally:
        engine.dispose()


app = FastAPI(lifespan=lifespan)
CLAVES = {f"Bearer {k.strip()}" for k in os.environ.get("CRM_API_KEYS", "").split(",")}


def leer_360(engine: Engine, cliente_id: str) -> ClienteRead | None:
    with engine.connect().execution_options(**{READ_ONLY: True}) as conn, conn.begin():
        cliente = conn.execute(select(clientes).where(clientes.c.id == cliente_id)).first()
        if cliente is None:
            return None
        filas_contactos = conn.execute(
            select(contactos)
            .where(contactos.c.cliente_id == cliente_id)
            .order_by(
                contactos.c.es_contacto_principal.desc(),
                contactos.c.nombre_completo,
                contactos.c.id,
            )
        ).all()
        filas_actividades = conn.execute(
            select(actividades)
            .where(actividades.c.cliente_id == cliente_id)
            .order_by(actividades.c.fecha.desc(), actividades.c.id.desc())
            .limit(ACTIVIDADES_RECIENTES)
        ).all()
        filas_oportunidades = conn.execute(
            select(oportunidades)
            .where(
                oportunidades.c.cliente_id == cliente_id,
                oportunidades.c.estado.not_in(CERRADAS),
            )
            .order_by(oportunidades.c.fecha_creacion.desc(), oportunidades.c.id)
        ).all()
        fila_salud = conn.execute(select(salud).where(salud.c.cliente_id == cliente_id)).first()
    if fila_salud is None:
        return None
    return ClienteRead.model_validate(
        {
            **cliente._mapping,
            "contactos": [ContactoRead.model_validate(f) for f in filas_contactos],
            "actividades_recientes": [ActividadRead.model_validate(f) for f in filas_actividades],
            "oportunidades_abiertas": [
                OportunidadRead.model_validate(f) for f in filas_oportunidades
            ],
            "salud": SaludRead.model_validate(fila_salud),
        }
    )


@app.get("/api/clientes/{cliente_id}", response_model=ClienteRead)
async def cliente_360(
    request: Request,
    cliente_id: str,
    authorization: Annotated[str, Header()] = "",
) -> ClienteRead:
    if authorization not in CLAVES:
        raise HTTPException(401)
    # As many reads in threads at once as the CRM runs (`kit.deps.EnUnidad`,
    # CRM_HILOS_LECTURA): the comparison is of the work per read, not of how many threads
    # take turns on the GIL.
    async with request.app.state.carril:
        leido = await run_in_threadpool(leer_360, request.app.state.engine, cliente_id)
    if leido is None:
        raise HTTPException(404)
    return leido
