export { Callback, CallbackList, toCallback, type CallbackHooks, type Logs, type TrainingParams } from './callback.js';
export { History } from './history.js';
export { EarlyStopping, type EarlyStoppingArgs } from './early_stopping.js';
export { Progbar, ProgbarLogger, defaultSink, type ProgressSink } from './progbar.js';
export { ModelCheckpoint, formatCheckpointPath, type ModelCheckpointArgs } from './model_checkpoint.js';
export { LearningRateScheduler, ReduceLROnPlateau, schedules, type Schedule, type ReduceLROnPlateauArgs } from './lr_schedules.js';
export { BatchLearningRateScheduler, stepSchedules, type StepSchedule, type OneCycleArgs } from './step_schedules.js';
import { EarlyStopping, type EarlyStoppingArgs } from './early_stopping.js';
import { LearningRateScheduler, ReduceLROnPlateau, type ReduceLROnPlateauArgs, type Schedule } from './lr_schedules.js';
import { ModelCheckpoint, type ModelCheckpointArgs } from './model_checkpoint.js';
import { BatchLearningRateScheduler, type StepSchedule } from './step_schedules.js';

/** TF.js-style factories: `callbacks.earlyStopping({ monitor: 'val_loss', patience: 2 })`. */
export const callbacks = {
  earlyStopping: (args?: EarlyStoppingArgs) => new EarlyStopping(args),
  learningRateScheduler: (schedule: Schedule, verbose = 0) => new LearningRateScheduler(schedule, verbose),
  reduceLROnPlateau: (args?: ReduceLROnPlateauArgs) => new ReduceLROnPlateau(args),
  modelCheckpoint: (args: ModelCheckpointArgs) => new ModelCheckpoint(args),
  batchLearningRateScheduler: (schedule: StepSchedule) => new BatchLearningRateScheduler(schedule),
};
