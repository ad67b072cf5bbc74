/**
 * Modules from a traced spec: each layer made from its spec and its input shape, children in order,
 * so parameters are created (and drawn) in the spec's order.
 *
 * @module
 */
import { Concat, Sequential } from "./containers.ts";
import { AdaptiveAvgPool2d, Conv2d, Dropout, Flatten, Linear, MaxPool2d, ReLU } from "./layers.ts";
import type { Module } from "./module.ts";
import type { TracedLayer } from "./spec.ts";

/** The children of a traced sequential or concat layer, built in order under their names. */
export function buildChildren(t: TracedLayer): [string, Module][] {
  const named = t.spec.kind === "sequential"
    ? t.spec.layers
    : t.spec.kind === "concat"
    ? t.spec.branches
    : [];
  return named.map(([name], i) => [name, build(t.children[i])]);
}

/** The module for a traced layer (and its children), parameters drawn from libtorch's generator. */
export function build(t: TracedLayer): Module {
  const s = t.spec;
  switch (s.kind) {
    case "sequential":
      return new Sequential(buildChildren(t));
    case "concat":
      return new Concat(buildChildren(t));
    case "conv":
      return new Conv2d(s, t.input);
    case "linear":
      return new Linear(s, t.input);
    case "maxpool":
      return new MaxPool2d(s);
    case "avgpool":
      return new AdaptiveAvgPool2d(s);
    case "relu":
      return new ReLU();
    case "flatten":
      return new Flatten();
    case "dropout":
      return new Dropout(s.p);
  }
}
