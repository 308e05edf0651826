/**
 * apache-arrow, loaded from the single-file build its package ships (`Arrow.esnext.min.js`, the
 * same sources bundled). Its ESM entry is ~150 modules and took ~220 ms of every run's start-up;
 * the bundle loads in ~25 ms. Every chatshard module takes Arrow's classes from here, so one copy
 * of them exists (`instanceof` and type ids agree); the types are the package's own typings.
 *
 * @example
 * import { RecordBatchReader, type RecordBatch } from '../arrow.js';
 */
import { createRequire } from 'node:module';
import type * as A from 'apache-arrow';

function load(): typeof A {
  const require = createRequire(import.meta.url);
  try {
    return require('apache-arrow/Arrow.esnext.min') as typeof A;
  } catch {
    // A release without that file: the package's own entry, same classes, slower start-up.
    return require('apache-arrow') as typeof A;
  }
}

const arrow = load();

export const {
  AsyncByteQueue,
  Bool,
  DataType,
  Field,
  Float64,
  Int8,
  Int32,
  Int64,
  List,
  makeData,
  Message,
  RecordBatch,
  RecordBatchReader,
  RecordBatchStreamWriter,
  Schema,
  Struct,
  tableFromIPC,
  Utf8,
  util,
} = arrow;

export type AsyncByteQueue = A.AsyncByteQueue;
export type Bool = A.Bool;
export type Data<T extends A.DataType = A.DataType> = A.Data<T>;
export type DataType<T extends A.Type = any, C extends A.TypeMap = any> = A.DataType<T, C>;
export type Field<T extends A.DataType = any> = A.Field<T>;
export type Float64 = A.Float64;
export type Int8 = A.Int8;
export type Int32 = A.Int32;
export type Int64 = A.Int64;
export type List<T extends A.DataType = any> = A.List<T>;
export type Message<T extends A.MessageHeader = any> = A.Message<T>;
export type RecordBatch<T extends A.TypeMap = any> = A.RecordBatch<T>;
export type RecordBatchReader<T extends A.TypeMap = any> = A.RecordBatchReader<T>;
export type RecordBatchStreamWriter<T extends A.TypeMap = any> = A.RecordBatchStreamWriter<T>;
export type Schema<T extends A.TypeMap = any> = A.Schema<T>;
export type Struct<T extends A.TypeMap = any> = A.Struct<T>;
export type Utf8 = A.Utf8;
export type Vector<T extends A.DataType = any> = A.Vector<T>;
