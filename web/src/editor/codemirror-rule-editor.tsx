import type { CompletionContext, CompletionResult } from '@codemirror/autocomplete'
import { json, jsonLanguage } from '@codemirror/lang-json'
import { lintGutter, setDiagnostics, type Diagnostic } from '@codemirror/lint'
import { EditorSelection } from '@codemirror/state'
import { EditorView } from '@codemirror/view'
import { forwardRef, useEffect, useImperativeHandle, useRef } from 'react'
import type { RuleDiagnostic } from './rule-diagnostics.ts'
import { completeRuleAt } from './rule-completion.ts'
import { editorSetup } from './editor-setup.ts'

/** Fact, operator, enum and property suggestions at the cursor (rule-completion.ts). */
export function ruleCompletionSource(ctx: CompletionContext): CompletionResult | null {
  const r = completeRuleAt(ctx.state.doc.toString(), ctx.pos)
  if (r === null || r.options.length === 0) return null
  return {
    from: r.from,
    options: r.options.map((o) => ({ label: o.label, type: o.type, detail: o.detail, info: o.info, apply: o.apply })),
    validFor: /^[\w.-]*$/,
  }
}

/** What the rules view can do with the editor. */
export interface RuleEditorHandle {
  setText(text: string): void
  /** Selects a span and scrolls it into view (a problem clicked in the list). */
  reveal(from: number, to: number): void
}

export interface RuleEditorProps {
  readonly initialText: string
  readonly diagnostics: readonly RuleDiagnostic[]
  readonly onChange: (text: string) => void
  readonly readOnly?: boolean
}

/**
 * The rule's JSON in CodeMirror 6: highlighting, bracket matching, fact / operator completion
 * as you type, and the draft's problems underlined at their JSON paths (the diagnostics are
 * computed by the view, which also lists them).
 */
export const RuleEditor = forwardRef<RuleEditorHandle, RuleEditorProps>(function RuleEditor({ initialText, diagnostics, onChange, readOnly = false }, ref) {
  const box = useRef<HTMLDivElement>(null)
  const view = useRef<EditorView | undefined>(undefined)
  const onChangeRef = useRef(onChange)
  onChangeRef.current = onChange

  useEffect(() => {
    const v = new EditorView({
      doc: initialText,
      parent: box.current!,
      extensions: [
        editorSetup(), // includes autocompletion, which asks the language data below
        json(),
        jsonLanguage.data.of({ autocomplete: ruleCompletionSource }),
        lintGutter(),
        EditorView.editable.of(!readOnly),
        EditorView.contentAttributes.of({ 'aria-label': 'Rule JSON', 'data-testid': 'rule-editor' }),
        EditorView.updateListener.of((u) => {
          if (u.docChanged) onChangeRef.current(u.state.doc.toString())
        }),
      ],
    })
    view.current = v
    return () => {
      v.destroy()
      view.current = undefined
    }
    // The editor is created once; setText replaces its content.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [])

  useEffect(() => {
    const v = view.current
    if (v === undefined) return
    const len = v.state.doc.length
    const diags: Diagnostic[] = diagnostics.map((d) => ({
      from: Math.min(d.from, len),
      to: Math.min(Math.max(d.to, d.from), len),
      severity: 'error',
      message: d.path === 'syntax' ? d.message : `${d.path}: ${d.message}`,
      source: d.path === 'syntax' ? 'JSON' : 'rule',
    }))
    v.dispatch(setDiagnostics(v.state, diags))
  }, [diagnostics])

  useImperativeHandle(ref, () => ({
    setText(text: string) {
      const v = view.current
      if (v === undefined) return
      v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: text } })
    },
    reveal(from: number, to: number) {
      const v = view.current
      if (v === undefined) return
      const len = v.state.doc.length
      v.dispatch({ selection: EditorSelection.single(Math.min(from, len), Math.min(to, len)), scrollIntoView: true })
      v.focus()
    },
  }))

  return <div ref={box} className="rule-editor" />
})
