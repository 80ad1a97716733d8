export { Callback, CallbackList, toCallback, type CallbackHooks, type Logs, type TrainingParams } from './callback.js';
export { History } from './history.js';
export { EarlyStopping, type EarlyStoppingArgs } from './early_stopping.js';
export { Progbar, ProgbarLogger, defaultSink, type ProgressSink } from './progbar.js';
import { EarlyStopping, type EarlyStoppingArgs } from './early_stopping.js';

/** TF.js-style factories: `callbacks.earlyStopping({ monitor: 'val_loss', patience: 2 })`. */
export const callbacks = {
  earlyStopping: (args?: EarlyStoppingArgs) => new EarlyStopping(args),
};
