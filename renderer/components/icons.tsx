// Small line icons in the SF Symbols spirit, drawn with currentColor. Renderer only.

import type { SVGProps } from 'react';

type IconProps = SVGProps<SVGSVGElement>;

const base = (props: IconProps) => ({
  width: 16,
  height: 16,
  viewBox: '0 0 16 16',
  fill: 'none',
  stroke: 'currentColor',
  strokeWidth: 1.5,
  strokeLinecap: 'round' as const,
  strokeLinejoin: 'round' as const,
  'aria-hidden': true,
  ...props,
});

export const DiceIcon = (p: IconProps) => (
  <svg {...base(p)}>
    <rect x="2.25" y="2.25" width="11.5" height="11.5" rx="2.75" />
    <circle cx="5.6" cy="5.6" r="1.05" fill="currentColor" stroke="none" />
    <circle cx="10.4" cy="5.6" r="1.05" fill="currentColor" stroke="none" />
    <circle cx="8" cy="8" r="1.05" fill="currentColor" stroke="none" />
    <circle cx="5.6" cy="10.4" r="1.05" fill="currentColor" stroke="none" />
    <circle cx="10.4" cy="10.4" r="1.05" fill="currentColor" stroke="none" />
  </svg>
);

export const ResetIcon = (p: IconProps) => (
  <svg {...base(p)}>
    <path d="M3 8a5 5 0 1 0 1.6-3.7" />
    <path d="M3 2.5v2.3h2.3" />
  </svg>
);

export const SparkIcon = (p: IconProps) => (
  <svg {...base(p)}>
    <path d="M8 1.8l1.5 4.2 4.3 1.5-4.3 1.5L8 13.3 6.5 9 2.2 7.5 6.5 6z" />
  </svg>
);

export const StopIcon = (p: IconProps) => (
  <svg {...base(p)}>
    <rect x="4" y="4" width="8" height="8" rx="1.5" fill="currentColor" stroke="none" />
  </svg>
);

export const TrashIcon = (p: IconProps) => (
  <svg {...base(p)}>
    <path d="M3 4.5h10M6.5 4.5V3h3v1.5M4.5 4.5l.6 8.5h5.8l.6-8.5" />
  </svg>
);

export const GaugeIcon = (p: IconProps) => (
  <svg {...base(p)}>
    <path d="M2.5 11a5.5 5.5 0 1 1 11 0" />
    <path d="M8 11l2.5-3.5" />
  </svg>
);

export const CupIcon = (p: IconProps) => (
  <svg {...base(p)}>
    <path d="M3 6h8v3.5A3.5 3.5 0 0 1 7.5 13h-1A3.5 3.5 0 0 1 3 9.5z" />
    <path d="M11 7h1a1.5 1.5 0 0 1 0 3h-1" />
    <path d="M5.5 2.5c0 .8.8.8.8 1.6M8 2.5c0 .8.8.8.8 1.6" />
  </svg>
);

export const WarningIcon = (p: IconProps) => (
  <svg {...base(p)}>
    <path d="M8 2.2L14.2 13H1.8z" />
    <path d="M8 6.5v3" />
    <circle cx="8" cy="11.2" r="0.5" fill="currentColor" />
  </svg>
);

export const CloseIcon = (p: IconProps) => (
  <svg {...base(p)}>
    <path d="M4.5 4.5l7 7M11.5 4.5l-7 7" />
  </svg>
);

/** "Use these settings": settings sliders with an arrow into them. */
export const ApplyIcon = (p: IconProps) => (
  <svg {...base(p)}>
    <path d="M2.5 4.5h6M11.5 4.5h2M2.5 11.5h2M7.5 11.5h6" />
    <circle cx="10" cy="4.5" r="1.5" />
    <circle cx="6" cy="11.5" r="1.5" />
  </svg>
);
