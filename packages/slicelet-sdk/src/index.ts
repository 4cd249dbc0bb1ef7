/** @packageDocumentation The slicelet-sdk package of dicer-ts (being built). */
export {};
