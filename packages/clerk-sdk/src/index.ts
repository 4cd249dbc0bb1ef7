/** @packageDocumentation The clerk-sdk package of dicer-ts (being built). */
export {};
