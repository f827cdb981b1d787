/**
 * Markdown-like shortcuts typed at the start of a paragraph: `# `, `## `, `### ` make headings
 * (levels 2 to 4: the story's title is the page's level 1), `> ` a blockquote, `- ` or `* ` a
 * bulleted list, `1. ` a numbered list. Backspace right after one undoes it (see the keymap).
 */
import { type InputRule, inputRules, textblockTypeInputRule, wrappingInputRule } from 'prosemirror-inputrules';
import type { Plugin } from 'prosemirror-state';
import { schemaTypes } from './commands.ts';

function headingRule(): InputRule {
  return textblockTypeInputRule(/^(#{1,3})\s$/, schemaTypes.heading, (match) => ({
    level: (match[1]?.length ?? 1) + 1,
  }));
}

function blockquoteRule(): InputRule {
  return wrappingInputRule(/^\s*>\s$/, schemaTypes.blockquote);
}

function bulletListRule(): InputRule {
  return wrappingInputRule(/^\s*([-*])\s$/, schemaTypes.bulletList);
}

function orderedListRule(): InputRule {
  return wrappingInputRule(
    /^(\d+)\.\s$/,
    schemaTypes.orderedList,
    (match) => ({ order: Number(match[1]) }),
    (match, node) => node.childCount + Number(node.attrs.order) === Number(match[1]),
  );
}

/** The input-rules plugin of the story editor. */
export function storyInputRules(): Plugin {
  return inputRules({ rules: [headingRule(), blockquoteRule(), bulletListRule(), orderedListRule()] });
}
