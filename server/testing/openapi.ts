// Validates homeserver responses against the spec's own OpenAPI files (../shared/spec/data/api/client-server).
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { load as loadYamlText } from 'js-yaml';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLIENT_SERVER_API_DIR = path.resolve(root, '..', 'shared', 'spec', 'data', 'api', 'client-server');
export const SERVER_SERVER_API_DIR = path.resolve(root, '..', 'shared', 'spec', 'data', 'api', 'server-server');

/** Where to look for an operation: the Client-Server API by default; `file` when a path exists in several (v1/v2). */
export interface SpecLocation {
  dir?: string;
  file?: string;
}

type Json = Record<string, unknown>;
const fileCache = new Map<string, Json>();

function loadYaml(file: string): Json {
  let doc = fileCache.get(file);
  if (!doc) {
    doc = loadYamlText(stripExamples(readFileSync(file, 'utf8'))) as Json;
    fileCache.set(file, doc);
  }
  return doc;
}

/**
 * Drops `example:`/`examples:` blocks before parsing: they don't affect validation, and some of them are
 * flow collections whose closing bracket sits at the key's indentation, which js-yaml 5 rejects.
 */
function stripExamples(text: string): string {
  const out: string[] = [];
  let skipIndent = -1;
  for (const line of text.split('\n')) {
    const indent = /^ */.exec(line)![0].length;
    const trimmed = line.trim();
    if (skipIndent >= 0) {
      if (trimmed === '' || indent > skipIndent || (indent === skipIndent && /^[}\]]/.test(trimmed))) continue;
      skipIndent = -1;
    }
    if (/^\s*examples?:/.test(line)) {
      skipIndent = indent;
      continue;
    }
    out.push(line);
  }
  return out.join('\n');
}

function pointer(doc: unknown, fragment: string): unknown {
  if (!fragment || fragment === '/') return doc;
  return fragment
    .replace(/^\//, '')
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((node, key) => (node as Json)[key], doc);
}

/** Inlines every `$ref` (relative files and JSON pointers); recursion is cut off at a depth that real responses never reach. */
function resolveRefs(node: unknown, file: string, depth = 0): unknown {
  if (depth > 40) return {};
  if (Array.isArray(node)) return node.map((n) => resolveRefs(n, file, depth));
  if (typeof node !== 'object' || node === null) return node;
  const obj = node as Json;
  if (typeof obj.$ref === 'string') {
    const [target, fragment = ''] = obj.$ref.split('#');
    const targetFile = target ? path.resolve(path.dirname(file), target) : file;
    const { $ref: _ref, ...siblings } = obj;
    const resolved = resolveRefs(pointer(loadYaml(targetFile), fragment), targetFile, depth + 1) as Json;
    return { ...resolved, ...(resolveRefs(siblings, file, depth) as Json) };
  }
  const out: Json = {};
  for (const [key, value] of Object.entries(obj)) {
    if (key === 'example' || key === 'examples') continue;
    out[key] = resolveRefs(value, file, depth);
  }
  return out;
}

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
addFormats(ajv);
const formats: Record<string, RegExp> = {
  'mx-user-id': /^@[^:]+:.+$/,
  'mx-room-id': /^!.+$/,
  'mx-event-id': /^\$.+$/,
  'mx-mxc-uri': /^mxc:\/\/[^/]+\/.+$/,
  'mx-room-alias': /^#[^:]+:.+$/,
  'mx-server-name': /^\S+$/,
  'mx-unpadded-base64': /^[A-Za-z0-9+/]*$/,
  'mx-urlsafe-unpadded-base64': /^[A-Za-z0-9_-]*$/,
};
for (const [name, regex] of Object.entries(formats)) ajv.addFormat(name, regex);
ajv.addFormat('int', { type: 'number', validate: (n: number) => Number.isInteger(n) });
ajv.addFormat('float', { type: 'number', validate: () => true });

const validators = new Map<string, ValidateFunction>();

/** The response schema for `METHOD path` (spec path template, e.g. `/rooms/{roomId}/messages`) and status. */
export function responseValidator(specPath: string, method: string, status: number, where: SpecLocation = {}): ValidateFunction {
  const dir = where.dir ?? CLIENT_SERVER_API_DIR;
  const key = `${dir} ${where.file ?? ''} ${method} ${specPath} ${status}`;
  let validator = validators.get(key);
  if (validator) return validator;
  for (const name of where.file ? [where.file] : readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
    const file = path.join(dir, name);
    // Only parse files that define this path: a few spec files use YAML that js-yaml 5 is too strict for.
    const text = readFileSync(file, 'utf8');
    if (!text.includes(`\n  ${specPath}:`) && !text.includes(`\n  "${specPath}":`)) continue;
    const paths = loadYaml(file).paths as Json | undefined;
    const operation = (paths?.[specPath] as Json | undefined)?.[method.toLowerCase()] as Json | undefined;
    if (!operation) continue;
    const response = (operation.responses as Json)[String(status)] as Json | undefined;
    if (!response) throw new Error(`${name}: ${method} ${specPath} defines no ${status} response`);
    const resolved = resolveRefs(response, file) as Json;
    const schema = ((resolved.content as Json)?.['application/json'] as Json | undefined)?.schema;
    if (!schema) throw new Error(`${name}: ${method} ${specPath} ${status} has no JSON schema`);
    validator = ajv.compile(schema as object);
    validators.set(key, validator);
    return validator;
  }
  throw new Error(`no OpenAPI operation ${method} ${specPath}`);
}

/** Throws with ajv's messages when `body` does not match the spec's schema. */
export function assertMatchesSpec(specPath: string, method: string, status: number, body: unknown, where: SpecLocation = {}): void {
  const validate = responseValidator(specPath, method, status, where);
  if (!validate(body)) {
    throw new Error(
      `${method} ${specPath} ${status} does not match the spec:\n${ajv.errorsText(validate.errors, { separator: '\n' })}\n${JSON.stringify(body).slice(0, 2000)}`,
    );
  }
}

/** Throws with ajv's messages when `body` does not match the schema in a spec file (e.g. an EDU's, under definitions/). */
export function assertMatchesSchemaFile(file: string, body: unknown): void {
  const key = `schema ${file}`;
  let validate = validators.get(key);
  if (!validate) {
    validate = ajv.compile(resolveRefs(loadYaml(file), file) as object);
    validators.set(key, validate);
  }
  if (!validate(body))
    throw new Error(
      `${path.basename(file)} does not match:\n${ajv.errorsText(validate.errors, { separator: '\n' })}\n${JSON.stringify(body).slice(0, 2000)}`,
    );
}
