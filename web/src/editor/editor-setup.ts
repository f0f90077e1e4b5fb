import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from '@codemirror/autocomplete'
import { bracketMatching, defaultHighlightStyle, foldGutter, foldKeymap, getIndentation, indentOnInput, indentUnit, syntaxHighlighting } from '@codemirror/language'
import { lintKeymap } from '@codemirror/lint'
import { Annotation, ChangeSet, EditorSelection, StateField, Transaction, type EditorState, type Extension, type StateCommand } from '@codemirror/state'
import {
  drawSelection, dropCursor, highlightActiveLine, highlightActiveLineGutter, highlightSpecialChars, keymap, lineNumbers,
} from '@codemirror/view'

/**
 * The editor's setup from the CodeMirror 6 packages the project has (@codemirror/view, state,
 * language, autocomplete, lint): line numbers, highlighting, bracket matching and closing,
 * folding, completion, and a small undo history with Enter-and-indent, because
 * @codemirror/commands is not a dependency (and the `codemirror` package installed is
 * CodeMirror 5). Tab is left to the browser (moving focus), as accessibility asks.
 */
export function editorSetup(): Extension {
  return [
    lineNumbers(),
    highlightActiveLineGutter(),
    highlightSpecialChars(),
    foldGutter(),
    drawSelection(),
    dropCursor(),
    indentOnInput(),
    indentUnit.of('  '),
    syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
    bracketMatching(),
    closeBrackets(),
    autocompletion(),
    highlightActiveLine(),
    historyField,
    keymap.of([
      ...closeBracketsKeymap,
      ...completionKeymap,
      ...foldKeymap,
      ...lintKeymap,
      { key: 'Enter', run: insertNewlineAndIndent },
      { key: 'Mod-z', run: undo, preventDefault: true },
      { key: 'Mod-y', run: redo, preventDefault: true },
      { key: 'Mod-Shift-z', run: redo, preventDefault: true },
    ]),
  ]
}

/** Enter: a new line indented as the syntax says (one unit inside `{` / `[`). */
export const insertNewlineAndIndent: StateCommand = ({ state, dispatch }) => {
  const tr = state.changeByRange((range) => {
    const indent = getIndentation(state, range.from) ?? /^\s*/.exec(state.doc.lineAt(range.from).text)![0].length
    const insert = `\n${' '.repeat(indent)}`
    return { changes: { from: range.from, to: range.to, insert }, range: EditorSelection.cursor(range.from + insert.length) }
  })
  dispatch(state.update(tr, { scrollIntoView: true, userEvent: 'input' }))
  return true
}

interface HistoryEntry {
  /** Undoes the entry's changes (applied to the document after them). */
  readonly inverse: ChangeSet
  readonly selection: EditorSelection
  readonly atMs: number
}

interface HistoryState {
  readonly done: readonly HistoryEntry[]
  readonly undone: readonly HistoryEntry[]
}

const HISTORY_DEPTH = 200
/** Typing within this much time of the last change undoes as one step. */
const GROUP_MS = 600

/** Marks the transactions undo and redo make. */
const historyAnnotation = Annotation.define<'undo' | 'redo'>()

const historyField = StateField.define<HistoryState>({
  create: () => ({ done: [], undone: [] }),
  update(value, tr) {
    if (!tr.docChanged) return value
    const kind = tr.annotation(historyAnnotation)
    const inverse = tr.changes.invert(tr.startState.doc)
    const entry: HistoryEntry = { inverse, selection: tr.startState.selection, atMs: Date.now() }
    if (kind === 'undo') return { done: value.done.slice(0, -1), undone: [...value.undone, entry] }
    if (kind === 'redo') return { done: [...value.done, entry], undone: value.undone.slice(0, -1) }
    if (tr.annotation(Transaction.addToHistory) === false) return value
    const last = value.done[value.done.length - 1]
    if (last !== undefined && tr.isUserEvent('input.type') && entry.atMs - last.atMs < GROUP_MS) {
      // Undo the new change first, then the earlier ones.
      return { done: [...value.done.slice(0, -1), { inverse: inverse.compose(last.inverse), selection: last.selection, atMs: entry.atMs }], undone: [] }
    }
    return { done: [...value.done, entry].slice(-HISTORY_DEPTH), undone: [] }
  },
})


function step(state: EditorState, dispatch: (tr: Transaction) => void, kind: 'undo' | 'redo'): boolean {
  const h = state.field(historyField, false)
  const list = kind === 'undo' ? h?.done : h?.undone
  const entry = list?.[list.length - 1]
  if (entry === undefined) return false
  dispatch(state.update({ changes: entry.inverse, selection: entry.selection, annotations: historyAnnotation.of(kind), scrollIntoView: true, userEvent: kind }))
  return true
}

export const undo: StateCommand = ({ state, dispatch }) => step(state, dispatch, 'undo')
export const redo: StateCommand = ({ state, dispatch }) => step(state, dispatch, 'redo')
