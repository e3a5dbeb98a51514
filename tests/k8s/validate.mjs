// Renders every kustomization under k8s/ and checks what comes out; run by validate.sh, which
// installs the packages this imports (package.json beside this file) and passes the paths:
//
//   node validate.mjs --repo DIR --work DIR [--sync-ok 0|1]   (the outcome of sync-rules.sh --check)
//
// 1. schema: every object, rendered or standalone (secret.example.yaml), against the Kubernetes
//    OpenAPI schemas of `kubernetes-models` and the Prometheus Operator CRD schemas of
//    `@kubernetes-models/prometheus-operator` (their ajv validators: types, required fields,
//    enums, formats such as quantities, CRD patterns such as durations);
// 2. unknown fields: the same objects as TypeScript object literals typed with those packages'
//    declarations, so that a misspelt field fails as `kubectl apply` (strict field validation)
//    would fail it, where a JSON schema without additionalProperties lets it through;
// 3. the sidecar's contract: security settings, probes, resources, the config's files all
//    present in the pod, the outbox on a writable volume, the rules equal to rules/, and the
//    Service, NetworkPolicy, ServiceMonitor and PrometheusRule pointing where they should.
//
// Prints one line per check and "k8s: N passed, N failed"; exits 1 on any failure.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { isDeepStrictEqual } from "node:util";
import { tmpdir } from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { parseAllDocuments, parse as parseYaml } from "yaml";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => {
    if (arg.startsWith("--")) pairs.push([arg.slice(2), all[i + 1]]);
    return pairs;
  }, []),
);
const repo = path.resolve(args.repo ?? ".");
const work = path.resolve(args.work ?? mkdtempSync(path.join(tmpdir(), "codebot-k8s-")));
const k8sDir = path.join(repo, "k8s");
const rel = (p) => path.relative(repo, p) || ".";

// ---------------------------------------------------------------------------------------------
// Reporting

let passed = 0;
let failed = 0;
function check(name, problems) {
  const list = (Array.isArray(problems) ? problems : [problems]).filter(Boolean);
  if (list.length === 0) {
    passed++;
    console.log(`ok - ${name}`);
  } else {
    failed++;
    console.log(`not ok - ${name}`);
    for (const p of list) console.log(`    ${String(p).replace(/\n/g, "\n    ")}`);
  }
}

// Kubernetes reads manifests as YAML 1.1 (sigs.k8s.io/yaml): 0444 is octal, yes is true.
function parseDocs(text, source) {
  const objects = [];
  for (const doc of parseAllDocuments(text, { version: "1.1" })) {
    if (doc.errors.length) throw new Error(`${source}: ${doc.errors.map((e) => e.message).join("; ")}`);
    const value = doc.toJS({ maxAliasCount: -1 });
    if (value !== null && value !== undefined) objects.push(value);
  }
  return objects;
}
const parseOne = (text, source) => {
  const docs = parseDocs(text, source);
  if (docs.length !== 1) throw new Error(`${source}: expected one YAML document, found ${docs.length}`);
  return docs[0];
};
const describe = (o) =>
  `${o?.kind ?? "?"} ${o?.metadata?.namespace ? o.metadata.namespace + "/" : ""}${o?.metadata?.name ?? "?"}`;

check("the copies of rules/ and the PrometheusRule under k8s/ are up to date (k8s/sync-rules.sh --check)",
  args["sync-ok"] === "0" ? "they are not: see the diff above, then run k8s/sync-rules.sh" : []);

// ---------------------------------------------------------------------------------------------
// Discovery: every kustomization under k8s/, what each references, and the YAML files nothing
// renders (validated on their own).

function walk(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}
const allFiles = walk(k8sDir);
const kustomizationFiles = allFiles.filter((f) =>
  ["kustomization.yaml", "kustomization.yml", "Kustomization"].includes(path.basename(f)),
);
const kustomizations = kustomizationFiles.map((file) => {
  const dir = path.dirname(file);
  const k = parseOne(readFileSync(file, "utf8"), rel(file));
  const local = (p) => path.resolve(dir, p);
  const referenced = new Set();
  for (const r of k.resources ?? []) referenced.add(local(r));
  for (const p of k.patches ?? []) if (p.path) referenced.add(local(p.path));
  for (const p of k.patchesStrategicMerge ?? []) if (typeof p === "string") referenced.add(local(p));
  for (const gen of [...(k.configMapGenerator ?? []), ...(k.secretGenerator ?? [])]) {
    for (const f of gen.files ?? []) referenced.add(local(f.includes("=") ? f.slice(f.indexOf("=") + 1) : f));
    for (const f of gen.envs ?? []) referenced.add(local(f));
  }
  return {
    dir,
    kind: k.kind ?? "Kustomization",
    components: (k.components ?? []).map(local),
    referenced,
  };
});
const referencedFiles = new Set(kustomizations.flatMap((k) => [...k.referenced]));
const standaloneFiles = allFiles.filter(
  (f) => /\.ya?ml$/.test(f) && !kustomizationFiles.includes(f) && !referencedFiles.has(f),
);

check(
  "every component is used by a kustomization that is rendered",
  kustomizations
    .filter((k) => k.kind === "Component")
    .filter((c) => !kustomizations.some((k) => k.components.includes(c.dir)))
    .map((c) => `${rel(c.dir)} is a Component no kustomization under k8s/ uses, so nothing tests it`),
);

// ---------------------------------------------------------------------------------------------
// Rendering

const rendered = []; // { name, objects }
for (const k of kustomizations.filter((k) => k.kind !== "Component")) {
  const name = rel(k.dir);
  const result = spawnSync("kubectl", ["kustomize", k.dir], { encoding: "utf8", maxBuffer: 64 << 20 });
  if (result.status !== 0) {
    check(`${name}: kubectl kustomize renders it`, result.stderr.trim() || `exit ${result.status}`);
    continue;
  }
  writeFileSync(path.join(work, name.replace(/[\/]/g, "_") + ".yaml"), result.stdout);
  try {
    const objects = parseDocs(result.stdout, name);
    check(`${name}: kubectl kustomize renders it (${objects.length} objects)`, objects.length ? [] : "no objects");
    rendered.push({ name, objects });
  } catch (e) {
    check(`${name}: kubectl kustomize renders it`, e.message);
  }
}
const standalone = [];
for (const file of standaloneFiles) {
  try {
    standalone.push({ name: rel(file), objects: parseDocs(readFileSync(file, "utf8"), rel(file)) });
  } catch (e) {
    check(`${rel(file)}: parses`, e.message);
  }
}

// ---------------------------------------------------------------------------------------------
// 1. Schemas

const require = createRequire(import.meta.url);
function modulePathFor(apiVersion) {
  if (apiVersion.startsWith("monitoring.coreos.com/")) return `@kubernetes-models/prometheus-operator/${apiVersion}`;
  return `kubernetes-models/${apiVersion}`; // "v1", "apps/v1", "networking.k8s.io/v1", ...
}
const modelCache = new Map();
async function modelFor(apiVersion, kind) {
  const key = `${apiVersion} ${kind}`;
  if (!modelCache.has(key)) {
    let model = null;
    try {
      const mod = await import(modulePathFor(apiVersion));
      model = typeof mod[kind] === "function" ? mod[kind] : null;
    } catch {
      model = null;
    }
    modelCache.set(key, model);
  }
  return modelCache.get(key);
}

for (const set of [...rendered, ...standalone]) {
  for (const obj of set.objects) {
    const label = `${set.name}: ${describe(obj)} matches the ${obj?.apiVersion ?? "?"} schema`;
    if (!obj || typeof obj.apiVersion !== "string" || typeof obj.kind !== "string") {
      check(label, "not a Kubernetes object (no apiVersion/kind)");
      continue;
    }
    const Model = await modelFor(obj.apiVersion, obj.kind);
    if (!Model) {
      check(label, `no schema for ${obj.apiVersion} ${obj.kind} in the installed packages`);
      continue;
    }
    try {
      new Model(structuredClone(obj)).validate();
      check(label, []);
    } catch (e) {
      const errors = e.errors?.map((x) => `${x.instancePath || "/"}: ${x.message}${x.params?.allowedValues ? " " + JSON.stringify(x.params.allowedValues) : ""}`);
      check(label, errors?.length ? errors : e.message);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// 2. Unknown fields, through TypeScript's excess-property check on object literals.

{
  const lines = [];
  const spans = []; // [firstLine, lastLine, label]
  const imports = new Map();
  let n = 0;
  for (const set of [...rendered, ...standalone]) {
    for (const obj of set.objects) {
      if (!obj?.apiVersion || !obj?.kind) continue;
      if (!(await modelFor(obj.apiVersion, obj.kind))) continue; // reported above
      const alias = `T${imports.size}`;
      const spec = `${modulePathFor(obj.apiVersion)}/${obj.kind}`;
      if (!imports.has(spec)) imports.set(spec, { alias, type: `I${obj.kind}` });
      const { alias: a } = imports.get(spec);
      const body = `export const o${n++}: ${a} = ${JSON.stringify(obj, null, 2)};`;
      spans.push([lines.length, lines.length + body.split("\n").length - 1, `${set.name}: ${describe(obj)}`]);
      lines.push(...body.split("\n"));
    }
  }
  const head = [...imports].map(([spec, { alias, type }]) => `import type { ${type} as ${alias} } from "${spec}";`);
  const source = [...head, ...lines].join("\n") + "\n";
  // In the cache, beside its node_modules, so that the imports resolve.
  const dir = mkdtempSync(path.join(path.dirname(require.resolve("typescript/package.json")), "..", "..", "strict-"));
  try {
    writeFileSync(path.join(dir, "objects.ts"), source);
    writeFileSync(
      path.join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true, noEmit: true, skipLibCheck: true, types: [],
          module: "nodenext", moduleResolution: "nodenext", target: "es2022",
        },
        files: ["objects.ts"],
      }),
    );
    const tsc = require.resolve("typescript/bin/tsc");
    const result = spawnSync(process.execPath, [tsc, "-p", dir, "--pretty", "false"], { encoding: "utf8" });
    const problems = [];
    for (const line of (result.stdout + result.stderr).split("\n").filter(Boolean)) {
      const m = /^objects\.ts\((\d+),(\d+)\): (.*)$/.exec(line) ?? /^.*objects\.ts\((\d+),(\d+)\): (.*)$/.exec(line);
      if (!m) {
        problems.push(line);
        continue;
      }
      const at = Number(m[1]) - 1 - head.length;
      const span = spans.find(([a, b]) => at >= a && at <= b);
      problems.push(`${span ? span[2] : "?"}: ${m[3]}${span ? `\n  at: ${lines[at].trim()}` : ""}`);
    }
    if (result.status !== 0 && problems.length === 0) problems.push(`tsc exited ${result.status}`);
    check(`no object has a field its schema doesn't know (${spans.length} objects, TypeScript ${require("typescript/package.json").version})`, problems);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// 3. The sidecar's contract

const SIDECAR = "codebot-exporter";
const PORT = 9877;
const CONFIG_FILE = "/etc/codebot-exporter/codebot-exporter.yml";

const rulesText = (file) => {
  try {
    return readFileSync(path.join(repo, "rules", file), "utf8");
  } catch {
    return null;
  }
};
const alertsSource = rulesText("alerts.yml");
const playbooksSource = rulesText("playbooks.yml");
const alertsParsed = alertsSource === null ? null : parseOne(alertsSource, "rules/alerts.yml");

const secretExample = standalone.flatMap((s) => s.objects).find((o) => o?.kind === "Secret");
const secretKeys = new Set([...Object.keys(secretExample?.data ?? {}), ...Object.keys(secretExample?.stringData ?? {})]);

function quantity(q) {
  const m = /^([0-9.]+)(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(String(q));
  if (!m) return NaN;
  const f = { m: 1e-3, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
  return Number(m[1]) * (m[2] ? f[m[2]] : 1);
}
const subset = (small, big) => Object.entries(small ?? {}).every(([k, v]) => big?.[k] === v);
// Strings of the config that name files the sidecar opens.
function configFiles(node, keyPath = []) {
  if (Array.isArray(node)) {
    const key = keyPath[keyPath.length - 1];
    if (key === "rule_files" || key === "playbook_files") return node.map((v) => ({ key: keyPath.join("."), file: v }));
    return node.flatMap((v, i) => configFiles(v, [...keyPath, i]));
  }
  if (node && typeof node === "object") {
    return Object.entries(node).flatMap(([k, v]) =>
      k.endsWith("_file") && typeof v === "string" ? [{ key: [...keyPath, k].join("."), file: v }] : configFiles(v, [...keyPath, k]),
    );
  }
  return [];
}

for (const { name, objects } of rendered) {
  const of = (kind) => objects.filter((o) => o.kind === kind);
  const deployments = of("Deployment").filter((d) =>
    d.spec?.template?.spec?.containers?.some((c) => c.name === SIDECAR),
  );
  check(`${name}: a Deployment carries the ${SIDECAR} container`, deployments.length ? [] : "none does");

  for (const d of deployments) {
    const at = `${name}: ${describe(d)}`;
    const pod = d.spec.template.spec;
    const podLabels = d.spec.template.metadata?.labels ?? {};
    const c = pod.containers.find((x) => x.name === SIDECAR);
    const sc = c.securityContext ?? {};
    const psc = pod.securityContext ?? {};

    check(`${at}: the sidecar is not the pod's first container (kubectl logs/exec default to that one)`,
      pod.containers[0].name === SIDECAR && pod.containers.length > 1 ? "it is first" : []);

    check(`${at}: the sidecar's command line and environment`, [
      !c.args?.includes(`--config.file=${CONFIG_FILE}`) && `args lack --config.file=${CONFIG_FILE}`,
      !c.args?.includes(`--web.listen-address=:${PORT}`) && `args lack --web.listen-address=:${PORT}`,
      c.env?.find((e) => e.name === "GNUTLS_NO_EXPLICIT_INIT")?.value !== "1" && "env GNUTLS_NO_EXPLICIT_INIT is not \"1\"",
      !c.ports?.some((p) => p.name === "metrics" && p.containerPort === PORT) && `no port named metrics on ${PORT}`,
    ]);

    // On the container itself, whatever the pod says: the component goes into pods it doesn't know.
    check(`${at}: the sidecar's security context`, [
      sc.runAsNonRoot !== true && "runAsNonRoot is not true",
      !(sc.runAsUser > 0) && "runAsUser is not a non-root uid",
      !(sc.runAsGroup > 0) && "runAsGroup is not a non-root gid",
      sc.readOnlyRootFilesystem !== true && "readOnlyRootFilesystem is not true",
      sc.allowPrivilegeEscalation !== false && "allowPrivilegeEscalation is not false",
      sc.privileged === true && "privileged",
      !sc.capabilities?.drop?.includes("ALL") && "capabilities.drop lacks ALL",
      sc.capabilities?.add?.length && `capabilities.add: ${sc.capabilities.add}`,
      sc.seccompProfile?.type !== "RuntimeDefault" && "seccompProfile is not RuntimeDefault",
      pod.hostNetwork && "hostNetwork", pod.hostPID && "hostPID", pod.hostIPC && "hostIPC",
    ]);

    const probe = (p, want) =>
      p?.httpGet?.path !== want ? `path ${p?.httpGet?.path ?? "(none)"}, not ${want}`
        : p.httpGet.port !== "metrics" && p.httpGet.port !== PORT ? `port ${p.httpGet.port}` : null;
    check(`${at}: the sidecar's probes`, [
      c.startupProbe ? probe(c.startupProbe, "/health/startup") && `startupProbe: ${probe(c.startupProbe, "/health/startup")}` : "no startupProbe",
      c.readinessProbe ? probe(c.readinessProbe, "/health/ready") && `readinessProbe: ${probe(c.readinessProbe, "/health/ready")}` : "no readinessProbe",
      c.livenessProbe ? probe(c.livenessProbe, "/health/live") && `livenessProbe: ${probe(c.livenessProbe, "/health/live")}` : "no livenessProbe",
    ]);

    const r = c.resources ?? {};
    check(`${at}: the sidecar's requests and limits`, ["cpu", "memory"].flatMap((res) => [
      r.requests?.[res] === undefined && `no ${res} request`,
      r.limits?.[res] === undefined && `no ${res} limit`,
      r.requests?.[res] !== undefined && r.limits?.[res] !== undefined &&
        !(quantity(r.requests[res]) <= quantity(r.limits[res])) && `${res} request ${r.requests[res]} above its limit ${r.limits[res]}`,
    ]));

    {
      const saName = pod.serviceAccountName ?? "default";
      const sa = of("ServiceAccount").find((s) => s.metadata.name === saName);
      const effective = pod.automountServiceAccountToken ?? sa?.automountServiceAccountToken;
      check(`${at}: no ServiceAccount token in the pod`, [
        effective !== false && `automountServiceAccountToken is ${effective ?? "unset"} (pod) for ServiceAccount ${saName}${sa ? "" : " (not in this kustomization)"}`,
        sa && sa.automountServiceAccountToken !== false && `ServiceAccount ${saName} mounts its token by default`,
      ]);
    }

    // The files the sidecar sees, from its mounts.
    const volumes = new Map((pod.volumes ?? []).map((v) => [v.name, v]));
    const mounts = c.volumeMounts ?? [];
    const mountAt = (dir) => mounts.find((m) => m.mountPath === dir);
    const mounted = new Map(); // absolute path -> { content?, secretKey? }
    const mountProblems = [];
    for (const m of mounts) {
      const v = volumes.get(m.name);
      if (!v) {
        mountProblems.push(`mount ${m.mountPath}: no volume ${m.name}`);
        continue;
      }
      if (m.subPath || m.subPathExpr) mountProblems.push(`mount ${m.mountPath} uses subPath: updates would never reach it`);
      if (v.configMap) {
        const cm = of("ConfigMap").find((x) => x.metadata.name === v.configMap.name);
        if (!cm) {
          mountProblems.push(`volume ${m.name}: ConfigMap ${v.configMap.name} is not in this kustomization`);
          continue;
        }
        const items = v.configMap.items ?? Object.keys(cm.data ?? {}).map((key) => ({ key, path: key }));
        for (const it of items) {
          if (cm.data?.[it.key] === undefined) mountProblems.push(`volume ${m.name}: ConfigMap ${cm.metadata.name} has no key ${it.key}`);
          else mounted.set(path.posix.join(m.mountPath, it.path), { content: cm.data[it.key], from: `ConfigMap key ${it.key}` });
        }
      } else if (v.secret) {
        if (!secretExample) mountProblems.push("no Secret example under k8s/ to check the secret's keys against");
        else if (v.secret.secretName !== secretExample.metadata.name)
          mountProblems.push(`volume ${m.name} mounts Secret ${v.secret.secretName}, the example is ${secretExample.metadata.name}`);
        for (const key of secretKeys) mounted.set(path.posix.join(m.mountPath, key), { secretKey: key });
        if (v.secret.items) mountProblems.push(`volume ${m.name}: items would hide keys the config may name`);
      }
    }
    check(`${at}: the sidecar's volumes resolve`, mountProblems);

    const configEntry = mounted.get(CONFIG_FILE);
    check(`${at}: the config file is mounted at ${CONFIG_FILE}`, configEntry ? [] : "it is not");
    if (!configEntry) continue;
    let config;
    try {
      config = parseYaml(configEntry.content);
    } catch (e) {
      check(`${at}: the config parses`, e.message);
      continue;
    }
    check(`${at}: every file the config names is in the pod`,
      configFiles(config).flatMap(({ key, file }) => {
        if (!path.posix.isAbsolute(file)) return [`${key}: ${file} is relative`];
        if (file.includes("*")) return [];
        return mounted.has(file) ? [] : [`${key}: ${file} is neither a ConfigMap item nor a key of the Secret example`];
      }));
    check(`${at}: the bot is reached inside the pod`,
      /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(config?.sources?.bot?.url ?? "") ? [] : `sources.bot.url is ${config?.sources?.bot?.url}`);

    const dataDir = config?.notifications?.data_dir;
    const outboxMount = dataDir && mountAt(dataDir);
    const outbox = outboxMount && volumes.get(outboxMount.name);
    check(`${at}: the outbox (notifications.data_dir) is a writable volume`, [
      !dataDir && "notifications.data_dir is not set",
      dataDir && !outboxMount && `nothing is mounted at ${dataDir} (the root filesystem is read-only)`,
      outboxMount?.readOnly && `${dataDir} is mounted read-only`,
      outbox && !outbox.emptyDir && !outbox.persistentVolumeClaim && `volume ${outbox.name} is neither an emptyDir nor a PVC`,
    ]);
    if (outbox?.persistentVolumeClaim) {
      const hpa = of("HorizontalPodAutoscaler").find((h) => h.spec.scaleTargetRef.name === d.metadata.name);
      check(`${at}: a persistent outbox has one writer`, [
        d.spec.replicas !== 1 && `replicas is ${d.spec.replicas ?? "unset"}, not 1`,
        d.spec.strategy?.type !== "Recreate" && "the strategy is not Recreate (two pods would share the volume)",
        hpa && `HorizontalPodAutoscaler ${hpa.metadata.name} scales it`,
        !(psc.fsGroup > 0) && "no fsGroup: the sidecar cannot write to a root-owned volume",
        !of("PersistentVolumeClaim").some((p) => p.metadata.name === outbox.persistentVolumeClaim.claimName) &&
          `PersistentVolumeClaim ${outbox.persistentVolumeClaim.claimName} is not in this kustomization`,
      ]);
    }

    // The rules and playbooks in the pod are the repository's.
    const ruleFile = (config?.rule_files ?? []).map((f) => mounted.get(f));
    check(`${at}: the mounted rules are rules/alerts.yml`, [
      alertsParsed === null && "rules/alerts.yml is missing",
      ruleFile.length === 0 && "rule_files is not set",
      alertsParsed !== null && ruleFile.length > 0 && !ruleFile.some((e) => e?.content !== undefined && isDeepStrictEqual(parseOne(e.content, "rules"), alertsParsed)) &&
        "no rule file of the config has the content of rules/alerts.yml (run k8s/sync-rules.sh)",
    ]);
    const playbookFile = (config?.notifications?.playbook_files ?? []).map((f) => mounted.get(f));
    check(`${at}: the mounted playbooks are rules/playbooks.yml`, [
      playbooksSource === null && "rules/playbooks.yml is missing",
      playbookFile.length === 0 && "notifications.playbook_files is not set",
      playbooksSource !== null && playbookFile.length > 0 && !playbookFile.some((e) => e?.content !== undefined && isDeepStrictEqual(parseYaml(e.content), parseYaml(playbooksSource))) &&
        "no playbook file of the config has the content of rules/playbooks.yml (run k8s/sync-rules.sh)",
    ]);

    // What points at the pods.
    const services = of("Service").filter((s) => s.spec?.ports?.some((p) => p.targetPort === "metrics" || p.targetPort === PORT));
    check(`${at}: a Service exposes the sidecar's port`, [
      services.length === 0 && `no Service targets port metrics/${PORT}`,
      ...services.filter((s) => !subset(s.spec.selector, podLabels) || !s.spec.selector)
        .map((s) => `Service ${s.metadata.name} selects ${JSON.stringify(s.spec.selector)}, not these pods`),
    ]);
    for (const np of of("NetworkPolicy")) {
      const ports = (rules) => (rules ?? []).flatMap((r) => (r.ports ?? []).map((p) => `${p.protocol ?? "TCP"}/${p.port}`));
      const egress = ports(np.spec.egress);
      check(`${at}: NetworkPolicy ${np.metadata.name} lets the sidecar work`, [
        !subset(np.spec.podSelector?.matchLabels, podLabels) && "its podSelector does not select these pods",
        !ports(np.spec.ingress).some((p) => p === `TCP/${PORT}` || p === "TCP/metrics") && `no ingress to ${PORT}`,
        ...["UDP/53", "TCP/443", "TCP/5432"].filter((p) => !egress.includes(p)).map((p) => `no egress to ${p}`),
      ]);
    }
    const monitors = of("ServiceMonitor");
    for (const sm of monitors) {
      const target = services.find((s) => subset(sm.spec.selector?.matchLabels, s.metadata.labels));
      check(`${at}: ServiceMonitor ${sm.metadata.name} scrapes the sidecar`, [
        !target && "its selector matches no Service of the sidecar",
        target && !sm.spec.endpoints?.every((e) => target.spec.ports.some((p) => p.name === e.port)) && "an endpoint names a port the Service lacks",
      ]);
    }
    if (monitors.length) {
      check(`${at}: scraped once (ServiceMonitor, no prometheus.io annotations)`,
        d.spec.template.metadata?.annotations?.["prometheus.io/scrape"] ? "the pod still carries prometheus.io/scrape" : []);
    }
  }

  for (const pr of of("PrometheusRule")) {
    check(`${name}: PrometheusRule ${pr.metadata.name} is rules/alerts.yml`, [
      alertsParsed === null && "rules/alerts.yml is missing",
      alertsParsed !== null && !isDeepStrictEqual(Object.keys(pr.spec ?? {}), ["groups"]) && `spec has ${Object.keys(pr.spec ?? {})}, not just groups`,
      alertsParsed !== null && !isDeepStrictEqual(pr.spec?.groups, alertsParsed.groups) && "spec.groups differ from the groups of rules/alerts.yml (run k8s/sync-rules.sh)",
    ]);
  }
  for (const hpa of of("HorizontalPodAutoscaler")) {
    const ref = hpa.spec.scaleTargetRef;
    check(`${name}: HorizontalPodAutoscaler ${hpa.metadata.name} scales a Deployment here`,
      of(ref.kind).some((o) => o.metadata.name === ref.name) ? [] : `${ref.kind} ${ref.name} is not in this kustomization`);
  }
  const namespaces = new Set(objects.filter((o) => o.kind !== "Namespace").map((o) => o.metadata?.namespace));
  check(`${name}: every object is in one namespace`, namespaces.size === 1 && !namespaces.has(undefined) ? [] : `namespaces: ${[...namespaces].join(", ")}`);
}

// ---------------------------------------------------------------------------------------------
// Optional: the real binary on the config as mounted (CODEBOT_EXPORTER_BIN=path/to/codebot-exporter).

const bin = process.env.CODEBOT_EXPORTER_BIN;
if (bin) {
  const first = rendered.find((r) => r.objects.some((o) => o.kind === "ConfigMap" && o.data?.["codebot-exporter.yml"]));
  const cm = first?.objects.find((o) => o.kind === "ConfigMap" && o.data?.["codebot-exporter.yml"]);
  const root = path.join(work, "check-config");
  const map = (p) => path.join(root, p);
  const files = { "/etc/codebot-exporter/codebot-exporter.yml": cm?.data["codebot-exporter.yml"] ?? "" };
  files["/etc/codebot-exporter/rules/alerts.yml"] = cm?.data["alerts.yml"] ?? "";
  files["/etc/codebot-exporter/rules/playbooks.yml"] = cm?.data["playbooks.yml"] ?? "";
  for (const key of secretKeys) files[`/var/run/secrets/codebot/${key}`] = secretExample.stringData?.[key] ?? "x";
  for (const [p, content] of Object.entries(files)) {
    mkdirSync(path.dirname(map(p)), { recursive: true });
    // Absolute paths in the config point into the same tree under `root`.
    writeFileSync(map(p), content.replace(/(?<![\w.-])\/(etc\/codebot-exporter|var\/run\/secrets\/codebot|var\/lib\/codebot-exporter)\b/g, `${root}/$1`));
  }
  mkdirSync(map("/var/lib/codebot-exporter"), { recursive: true });
  const result = spawnSync(bin, ["check", "config", map("/etc/codebot-exporter/codebot-exporter.yml")], { encoding: "utf8" });
  check(`${bin} check config accepts the config as the pod sees it`, result.status === 0 ? [] : (result.stdout + result.stderr).trim());
}

console.log(`k8s: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
