/**
 * Autograd: requires_grad, backward, gradients and the no-grad mode.
 *
 * @module
 */
import { check, errSlot, lib } from "./library.ts";
import { handleList } from "./ops.ts";
import { Tensor } from "./tensor.ts";

/** Marks a leaf tensor as a parameter whose gradient autograd accumulates. */
export function setRequiresGrad(t: Tensor, requiresGrad = true): Tensor {
  lib().at_set_requires_grad(t.ptr, requiresGrad ? 1 : 0, errSlot);
  check();
  return t;
}

/** Whether autograd tracks t. */
export function requiresGrad(t: Tensor): boolean {
  const r = lib().at_requires_grad(t.ptr, errSlot);
  check();
  return r === 1;
}

/** Backpropagates from a scalar. */
export function backward(t: Tensor): void {
  lib().at_backward(t.ptr, errSlot);
  check();
}

/** The gradient accumulated in t, or null when none was computed yet. */
export function grad(t: Tensor): Tensor | null {
  const p = lib().at_grad(t.ptr, errSlot);
  check();
  return p === null ? null : new Tensor(p);
}

/** Drops the gradients of the given tensors (set to None). */
export function zeroGrad(params: readonly Tensor[]): void {
  lib().at_zero_grad(handleList(params), BigInt(params.length), errSlot);
  check();
}

/**
 * Scales gradients so that their joint L2 norm is at most maxNorm (torch.nn.utils.clip_grad_norm_);
 * returns the norm before clipping as a 0-dim tensor on the parameters' device, so nothing waits
 * for the device unless the caller reads it.
 */
export function clipGradNorm(params: readonly Tensor[], maxNorm: number): Tensor {
  return new Tensor(
    lib().at_clip_grad_norm(handleList(params), BigInt(params.length), maxNorm, errSlot),
  );
}

/** Sets autograd recording on this thread; returns the previous mode. */
export function setGradEnabled(enabled: boolean): boolean {
  const prev = lib().atr_set_grad_enabled(enabled ? 1 : 0, errSlot);
  check();
  return prev === 1;
}

/** Runs fn with autograd off (torch.no_grad()), restoring the previous mode afterwards. */
export function noGrad<T>(fn: () => T): T {
  const prev = setGradEnabled(false);
  try {
    return fn();
  } finally {
    setGradEnabled(prev);
  }
}
