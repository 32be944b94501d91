// Membership key for the speakers' authenticated heartbeats (DESIGN §5), kept in
// `metallb.internal.membership` and rendered by the templates into the Secret
// d8-metallb/speaker-secrets (files `membership-key`, `membership-key-previous`).
//
// Values patches live only in addon-operator's memory, so after a restart of Deckhouse the key is
// read back from that Secret; it is generated only when neither values nor the Secret hold one. A
// silent change would make every speaker think the others dead, so the key changes only on request:
//
//   kubectl -n d8-metallb annotate secret speaker-secrets network.deckhouse.io/membership-key-rotation=rotate
//     moves the key to `previousKey` and generates a new one (speakers accept both);
//   kubectl -n d8-metallb annotate secret speaker-secrets network.deckhouse.io/membership-key-rotation=drop-previous
//     drops `previousKey` once every speaker runs with the new key.
//
// The hook removes the annotation when it acts. It acts only when the Secret already holds the key
// in values (the previous change has been rendered): that makes a request count once even when the
// informer still shows the annotation after the hook's own write (delayed cache), and it never drops
// a key the speakers may still be using.
import { defineHook } from './lib/index.ts';
import { isJsonObject } from './lib/json.ts';
import type { JsonValue } from './lib/index.ts';

/** Namespace and name of the Secret the templates render. */
export const SECRET_NAMESPACE = 'd8-metallb';
export const SECRET_NAME = 'speaker-secrets';
/** Annotation asking for a deliberate change of the key. */
export const ROTATION_ANNOTATION = 'network.deckhouse.io/membership-key-rotation';
/** A key is 32 random bytes, base64 (44 characters); the speakers use its UTF-8 bytes as HMAC key. */
export const KEY_PATTERN = /^[A-Za-z0-9+/]{43}=$/;

/** The Secret as the hook sees it: keys decoded from `data`, absent ones null. */
export interface SecretRecord {
  key: string | null;
  previousKey: string | null;
  request: string | null;
}

/** The membership values (`internal.membership`). */
export interface MembershipKeys {
  key: string;
  previousKey?: string;
}

/** What the hook decided: the keys to keep in values and whether to clear the request annotation. */
export interface MembershipDecision {
  keys: MembershipKeys;
  clearRequest: boolean;
  warnings: string[];
}

function decodeData(v: JsonValue | undefined, field: string): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw new Error(`${field}: base64 string expected`);
  return Buffer.from(v, 'base64').toString('utf8');
}

/** Projects the Secret's filter result. */
export function projectSecret(r: JsonValue): SecretRecord {
  if (!isJsonObject(r)) throw new Error('object expected');
  const request = r.request;
  return {
    key: decodeData(r.key, 'data.membership-key'),
    previousKey: decodeData(r.previousKey, 'data.membership-key-previous'),
    request: typeof request === 'string' ? request : null,
  };
}

function valuesKeys(values: JsonValue | undefined): MembershipKeys | undefined {
  if (!isJsonObject(values) || !isJsonObject(values.internal)) return undefined;
  const m = values.internal.membership;
  if (!isJsonObject(m) || typeof m.key !== 'string' || !KEY_PATTERN.test(m.key)) return undefined;
  return typeof m.previousKey === 'string' && KEY_PATTERN.test(m.previousKey) ? { key: m.key, previousKey: m.previousKey } : { key: m.key };
}

/**
 * Pure decision: the keys from values, else from the Secret, else a new one; then a pending
 * rotation request, honoured only when the Secret shows the current key.
 */
export function decideMembershipKeys(values: JsonValue, secret: SecretRecord | undefined, generate: () => string): MembershipDecision {
  const warnings: string[] = [];
  let keys = valuesKeys(values);
  if (!keys && secret?.key && KEY_PATTERN.test(secret.key)) {
    keys = secret.previousKey && KEY_PATTERN.test(secret.previousKey) ? { key: secret.key, previousKey: secret.previousKey } : { key: secret.key };
  }
  if (!keys) {
    if (secret?.key) warnings.push(`Secret ${SECRET_NAMESPACE}/${SECRET_NAME} holds a malformed membership-key; a new key was generated`);
    keys = { key: generate() };
  }
  let clearRequest = false;
  const request = secret?.request ?? null;
  if (request !== null) {
    const rendered = secret?.key === keys.key;
    if (request === 'rotate') {
      if (rendered) {
        keys = { key: generate(), previousKey: keys.key };
        clearRequest = true;
      }
    } else if (request === 'drop-previous') {
      if (rendered) {
        keys = { key: keys.key };
        clearRequest = true;
      }
    } else {
      warnings.push(`annotation ${ROTATION_ANNOTATION}="${request}" ignored: use "rotate" or "drop-previous"`);
    }
  }
  return { keys, clearRequest, warnings };
}

export default defineHook({
  name: 'membership-key',
  // Before Helm renders the Secret and the speakers; the Group runs of the binding keep it current.
  beforeHelm: 5,
  kubernetes: {
    secret: {
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: { nameSelector: { matchNames: [SECRET_NAMESPACE] } },
      nameSelector: { matchNames: [SECRET_NAME] },
      jqFilter: `{key: (.data["membership-key"] // null), previousKey: (.data["membership-key-previous"] // null), request: (.metadata.annotations["${ROTATION_ANNOTATION}"] // null)}`,
      project: projectSecret,
    },
  },
  handler(input, out) {
    const generate = (): string => Buffer.from(input.random(32)).toString('base64');
    const decision = decideMembershipKeys(input.values, input.snapshots.secret[0], generate);
    for (const w of decision.warnings) input.log.warn(w);
    if (decision.clearRequest) {
      out.kube.mergePatch(
        { apiVersion: 'v1', kind: 'Secret', namespace: SECRET_NAMESPACE, name: SECRET_NAME },
        { metadata: { annotations: { [ROTATION_ANNOTATION]: null } } },
        { ignoreMissingObject: true },
      );
      input.log.info('membership key request applied', { request: input.snapshots.secret[0]?.request ?? null });
    }
    const { key, previousKey } = decision.keys;
    out.values.set('internal.membership', previousKey === undefined ? { key } : { key, previousKey });
  },
});
