// The README's examples, written against the clients generated from /openapi.json by
// openapi-typescript (./schema) and @hey-api/openapi-ts (./heyapi). Checked with
// `tsc --strict --noEmit` by scripts/sdk/check.sh: always-present fields need no `?.`.
import type { components, operations } from "./schema";
import type * as hey from "./heyapi/types.gen";
import { obtenerCliente, crearCliente, listarAlertas, obtenerDashboard } from "./heyapi/sdk.gen";

type S = components["schemas"];

// --- openapi-typescript -------------------------------------------------------------
export function resumen360(c: S["ClienteRead"]): string {
  const contactos = c.contactos.map((p) => `${p.nombre_completo} (${p.rol})`).join(", ");
  const financiero = c.contactos.find((p) => p.es_contacto_financiero);
  const whatsapp: string | null = financiero ? financiero.telefono_whatsapp : null;
  const ultima: string | null = financiero ? financiero["fecha_última_interaccion"] : null;
  const s = c.salud;
  const motivos = s.motivos.join("; ");
  const riesgo: "bajo" | "medio" | "alto" | "critico" = s.riesgo_impago;
  const tam: "autónomo" | "pequeña" | "mediana" | "grande" | null = c["tamaño_empresa"];
  // Null until the client has paid something: "sin historial", never an invented 100 %.
  const pct: string = s.porcentaje_pagos_a_tiempo === null ? "sin historial" : `${s.porcentaje_pagos_a_tiempo} %`;
  const puntos: number = s.riesgo_perdida_score + s.facturas_vencidas;
  const tardio: number | null = s.probabilidad_pago_tardio;
  const importe: number = s.importe_vencido + s.ltv_lifetime_value;
  const act = c.actividades_recientes[0];
  const minutos: number | null = act ? act["duración_minutos"] : null;
  const opp = c.oportunidades_abiertas.map((o) => `${o.nombre_proyecto}: ${o.monto_estimado} € (${o.estado})`);
  return [contactos, whatsapp, ultima, motivos, riesgo, tam, pct, puntos, tardio, importe, minutos, opp, s.fecha_calculo, s.salud_general, c.ltv, c.riesgo_impago].join(" ");
}

export function alertas(lista: S["AlertaList"]): string[] {
  return lista.alertas.map((a) => {
    const sev: "baja" | "media" | "alta" | "critica" = a.severidad;
    const tipo: S["TipoAlerta"] = a.tipo;
    return `${sev} ${tipo} ${a.cliente_id} ${a.nombre_empresa}: ${a.mensaje}`;
  });
}

export function cuadro(d: S["Dashboard"], p: S["Pipeline"]): number {
  const etapas = p.etapas.map((e) => {
    const estado: S["EstadoOportunidad"] = e.estado;
    return `${estado}: ${e.numero}`;
  });
  const vip: number = d.clientes_por_estado.vip;
  const criticas: number = d.alertas_por_severidad.critica;
  return vip + criticas + etapas.length + d.pipeline.importe_ponderado + p.abiertas.abiertas;
}

export function recomendaciones(r: S["RecomendacionesRead"]): string {
  return [...r.alertas.map((a) => `${a.severidad} ${a.tipo} ${a.mensaje}`), ...r.acciones_sugeridas].join("\n");
}

export function exportacion(e: S["ExportacionCliente"]): number {
  const ids: string[] = e.facturas.map((f) => f.id + f.numero);
  return ids.length + e.contactos.length + e.actividades.length + e.oportunidades.length + e.salud.ltv_lifetime_value + e.cliente.ltv;
}

export function healthz(h: S["EstadoServicio"]): boolean {
  return h.status === "ok" && h.database === "ok";
}

export const nuevoCliente: S["ClienteCreate"] = {
  nombre_empresa: "TechCorp S.L.", email: "info@techcorp.es",
  telefono: "+34 91 123 4567", direccion: "Calle Tech 123, Madrid",
  cif_nif: "A12345678", sector_industria: "technology", "tamaño_empresa": "mediana",
};
export const contacto: S["ContactoCreate"] = {
  nombre_completo: "María López", rol: "Contable", es_contacto_financiero: true,
  telefono_whatsapp: "+34 666 123 456",
};
export const actividad: S["ActividadCreate"] = {
  tipo: "reunión", titulo: "Junta trimestral",
  descripcion: "Cliente muy satisfecho, solicita ampliación",
  "duración_minutos": 90, responsable: "Tu nombre",
};
export const oportunidad: S["OportunidadCreate"] = {
  nombre_proyecto: "Implementación ERP", descripcion: "Sistema de gestión integral",
  monto_estimado: 45000, estado: "presupuesto", probabilidad_cierre: 65,
};
export const evento: operations["recibirEventoFactura"]["requestBody"]["content"]["application/json"] = {
  tipo: "factura.emitida",
  factura: {
    id: "fac_2025_0123", numero: "2025/0123", cliente_id: "abc123", cif_nif: "B12345674",
    fecha_emision: "2025-12-12", fecha_vencimiento: "2026-01-11",
    base_imponible: 2066.12, total: 2500.0, moneda: "EUR", fecha_pago: null,
  },
};
export const lista: operations["listarClientes"]["parameters"]["query"] = {
  q: "techcorp", estado: "cliente_activo", ordenar_por: "ltv", orden: "desc", limit: 20,
};
export const timeline: operations["listarActividades"]["parameters"]["query"] = { limit: 20, pendientes: true };
export const webhookHeaders: operations["recibirEventoFactura"]["parameters"]["header"] = {
  "webhook-id": "msg_1", "webhook-timestamp": "1765530000", "webhook-signature": "v1,abc=",
};

// --- @hey-api/openapi-ts --------------------------------------------------------------
export async function tour(): Promise<string> {
  const creado = await crearCliente({ body: { nombre_empresa: "TechCorp S.L.", email: "info@techcorp.es" }, throwOnError: true });
  const c: hey.ClienteRead = (await obtenerCliente({ path: { cliente_id: creado.data.id }, throwOnError: true })).data;
  const salud: hey.SaludRead = c.salud;
  const alertasHoy = (await listarAlertas({ query: { limit: 10, severidad: "critica" }, throwOnError: true })).data;
  const d = (await obtenerDashboard({ throwOnError: true })).data;
  const primera: hey.AlertaCartera | undefined = alertasHoy.alertas[0];
  const sev: hey.Severidad | undefined = primera ? primera.severidad : undefined;
  return `${c.contactos.length} ${salud.riesgo_impago} ${salud.motivos.length} ${sev} ${d.clientes_por_estado.prospecto} ${c.salud.dias_sin_actividad}`;
}
