// The design system's form controls: labelled sliders, switches and segmented
// choices, accessible by role and name. Renderer only.

import { useId, type CSSProperties, type KeyboardEvent, type ReactNode } from 'react';
import { formatValue } from '../lib/format.ts';
import type { Range } from '../lib/draft.ts';

export function Section({ title, accessory, children }: { title: string; accessory?: ReactNode; children: ReactNode }) {
  const id = useId();
  return (
    <section className="section" aria-labelledby={id}>
      <header className="section-header">
        <h2 id={id} className="section-title">
          {title}
        </h2>
        {accessory}
      </header>
      <div className="section-body">{children}</div>
    </section>
  );
}

export interface SliderProps {
  readonly label: string;
  readonly value: number;
  readonly range: Range;
  readonly onChange: (value: number) => void;
  /** Replaces the formatted value, e.g. "3 · auto". */
  readonly display?: string;
  readonly hint?: ReactNode;
  readonly disabled?: boolean;
  /** Labels under the track's two ends, saying what each direction does. */
  readonly ends?: readonly [string, string];
}

export function Slider({ label, value, range, onChange, display, hint, disabled, ends }: SliderProps) {
  const id = useId();
  const shown = display ?? formatValue(value, range.step);
  const fill = range.max > range.min ? ((value - range.min) / (range.max - range.min)) * 100 : 0;
  return (
    <div className={`field slider-field${disabled ? ' is-disabled' : ''}`}>
      <div className="field-row">
        <label htmlFor={id} className="field-label">
          {label}
        </label>
        <output htmlFor={id} className="field-value" aria-live="off">
          {shown}
        </output>
      </div>
      <input
        id={id}
        type="range"
        className="slider"
        min={range.min}
        max={range.max}
        step={range.step}
        value={value}
        disabled={disabled}
        aria-valuetext={shown}
        style={{ '--fill': `${Math.max(0, Math.min(100, fill))}%` } as CSSProperties}
        onChange={(e) => onChange(Number(e.currentTarget.value))}
      />
      {ends && (
        <div className="slider-ends" aria-hidden="true">
          <span>{ends[0]}</span>
          <span>{ends[1]}</span>
        </div>
      )}
      {hint && <p className="field-hint">{hint}</p>}
    </div>
  );
}

export function Switch({ label, checked, onChange, description }: { label: string; checked: boolean; onChange: (checked: boolean) => void; description?: string }) {
  const id = useId();
  return (
    <div className="switch-row">
      <div>
        <label htmlFor={id} className="field-label">
          {label}
        </label>
        {description && <p className="field-hint">{description}</p>}
      </div>
      <button id={id} type="button" role="switch" aria-checked={checked} className="switch" onClick={() => onChange(!checked)}>
        <span className="switch-knob" />
      </button>
    </div>
  );
}

export function Segmented<T extends string | number>({
  label,
  value,
  options,
  onChange,
  format = String,
  hideLabel = false,
}: {
  label: string;
  value: T;
  options: readonly T[];
  onChange: (value: T) => void;
  format?: (value: T) => string;
  hideLabel?: boolean;
}) {
  const id = useId();
  const selected = options.indexOf(value);
  // A radio group is one tab stop; the arrow keys move the choice, as native radio buttons do.
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const delta = event.key === 'ArrowRight' || event.key === 'ArrowDown' ? 1 : event.key === 'ArrowLeft' || event.key === 'ArrowUp' ? -1 : 0;
    const target = event.key === 'Home' ? 0 : event.key === 'End' ? options.length - 1 : delta === 0 ? -1 : (Math.max(0, selected) + delta + options.length) % options.length;
    if (target < 0) return;
    event.preventDefault();
    onChange(options[target]!);
    event.currentTarget.querySelectorAll<HTMLButtonElement>('[role="radio"]')[target]?.focus();
  };
  return (
    <div className="field">
      {!hideLabel && (
        <span id={id} className="field-label">
          {label}
        </span>
      )}
      <div className="segmented" role="radiogroup" onKeyDown={onKeyDown} {...(hideLabel ? { 'aria-label': label } : { 'aria-labelledby': id })}>
        {options.map((option, index) => (
          <button
            key={String(option)}
            type="button"
            role="radio"
            aria-checked={option === value}
            tabIndex={index === (selected < 0 ? 0 : selected) ? 0 : -1}
            className={`segment${option === value ? ' is-selected' : ''}`}
            onClick={() => onChange(option)}
          >
            {format(option)}
          </button>
        ))}
      </div>
    </div>
  );
}
