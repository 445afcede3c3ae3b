// The combined store's shape and the slice-creator type every slice uses. Types only.

import type { StateCreator } from 'zustand';
import type { CalibrationSlice } from './calibration-slice.ts';
import type { HistorySlice } from './history-slice.ts';
import type { MediaSlice } from './media-slice.ts';
import type { ModelSlice } from './model-slice.ts';
import type { QueueSlice } from './queue-slice.ts';
import type { RunSlice } from './run-slice.ts';
import type { SettingsSlice } from './settings-slice.ts';
import type { ViewSlice } from './view-slice.ts';

export type StudioState = ModelSlice & SettingsSlice & RunSlice & HistorySlice & MediaSlice & ViewSlice & CalibrationSlice & QueueSlice;

/** Middleware is applied once, on the combined store (see store.ts). */
export type SliceCreator<T> = StateCreator<StudioState, [['zustand/persist', unknown]], [], T>;
