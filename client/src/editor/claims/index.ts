/** The editor's claims: plugin, state, commands and the targets of new claims. */

export { claimLook } from './claimDecorations.ts';
export { type ClaimsPluginOptions, claimsPlugins } from './claimsPlugin.ts';
export { type ClaimsAction, type ClaimsState, claimsPluginKey } from './claimsState.ts';
export { anchorEditorRange, claimTarget, type EditorRange, sentenceAtCursor } from './claimTarget.ts';
export { activateClaim, selectClaim, selectRange } from './commands.ts';
export { type DrawnClaim, isPlaced, needsRecheck, shownStatus } from './drawnClaims.ts';
export { sentencesNeedingSource } from './needsSource.ts';
