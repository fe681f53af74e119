// YAML text → a plain tree of mappings, lists, strings and nulls.
//
// Scalars keep the text the operator wrote rather than YAML's guess at a type:
// a secret written `secret_access_key: 1e5` or a key id `007` must stay
// "1e5"/"007", not become 100000/7. Each schema leaf then reads the text as
// the type it needs (as upstream's Go decoder does), which also lets `${VAR}`
// expansion feed numbers and booleans.

import { parseDocument, visit, type Scalar } from 'yaml';
import { ConfigError } from './errors.js';

export interface YamlTree {
  tree: unknown;
  warnings: string[];
}

export function readYamlTree(text: string): YamlTree {
  // `merge` keeps `<<: *defaults` working, as in upstream's yaml.v3.
  const document = parseDocument(text, { merge: true });
  // After the first syntax error the parser's further errors are mostly its
  // confusion about the same spot; the first one is what to fix.
  const [syntaxError] = document.errors;
  if (syntaxError !== undefined) throw new ConfigError([`not valid YAML: ${firstLine(syntaxError.message)}`]);
  visit(document, {
    Scalar(role, node) {
      // Keys stay as parsed: the merge key `<<` is recognised by its value.
      if (role !== 'key') keepWrittenText(node);
    },
  });
  return {
    tree: document.toJS(),
    warnings: document.warnings.map((warning) => `YAML: ${firstLine(warning.message)}`),
  };
}

function keepWrittenText(node: Scalar): void {
  // Plain scalars carry their source text; quoted and block scalars are
  // strings already. `key:`, `~` and `null` stay null ("not set").
  if (node.value === null || typeof node.value === 'string') return;
  if (node.type === 'PLAIN' && typeof node.source === 'string') node.value = node.source;
}

/** yaml's messages end in a source excerpt; the first line already says where (`at line 3, column 5:`). */
function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/:$/, '');
}
