#!/usr/bin/env node
// Predict with a model exported by skmed.to_onnx, from Node.js with onnxruntime-node.
//
//   npm install            (or: npm install onnxruntime-node@1.30.0 --ignore-scripts)
//   node predict.js model.onnx records.json
//
// records.json is a list of rows, e.g. [{"age": 61, "sex": "F", "bmi": null}, ...], keyed by
// the frame's column names. A column name that is not a valid ONNX name ("blood pressure") is
// the input "blood_pressure" in the graph (any character other than a letter, digit or "_"
// becomes "_"); both spellings are accepted here. Missing values are null: NaN for numbers,
// "" for text (skmed's graph imputes "" in text columns).
//
// Prints {"label": [...], "probabilities": [[...], ...]} as JSON, one probability column per
// class in the order of the Python model's classes_.

"use strict";

const fs = require("fs");
const ort = require("onnxruntime-node");

function sanitize(name) {
  return name.replace(/[^A-Za-z0-9_]/g, "_");
}

function column(records, input) {
  const key = (row) => (input.name in row ? input.name : Object.keys(row).find(
    (k) => sanitize(k) === input.name));
  const values = records.map((row, i) => {
    const k = key(row);
    if (k === undefined) {
      throw new Error(`row ${i} has no value for input '${input.name}'`);
    }
    return row[k];
  });
  const dims = [records.length, 1];
  switch (input.type) {
    case "string":
      return new ort.Tensor("string", values.map((v) => (v === null ? "" : String(v))), dims);
    case "float64":
      return new ort.Tensor("float64", Float64Array.from(values, (v) => (v === null ? NaN : v)), dims);
    case "float32":
      return new ort.Tensor("float32", Float32Array.from(values, (v) => (v === null ? NaN : v)), dims);
    case "int64":
      return new ort.Tensor("int64", BigInt64Array.from(values, (v) => BigInt(v)), dims);
    case "bool":
      return new ort.Tensor("bool", Uint8Array.from(values, (v) => (v ? 1 : 0)), dims);
    default:
      throw new Error(`input '${input.name}' has unsupported type ${input.type}`);
  }
}

async function main() {
  const [modelPath, recordsPath] = process.argv.slice(2);
  if (!modelPath || !recordsPath) {
    console.error("usage: node predict.js model.onnx records.json");
    process.exit(2);
  }
  const records = JSON.parse(fs.readFileSync(recordsPath, "utf8"));
  const session = await ort.InferenceSession.create(modelPath);
  const feeds = {};
  for (const input of session.inputMetadata) {
    if (input.name === "X") {  // exported from a numeric array: one matrix input
      const width = records[0].length;
      feeds.X = new ort.Tensor("float64", Float64Array.from(records.flat()), [records.length, width]);
    } else {
      feeds[input.name] = column(records, input);
    }
  }
  const out = await session.run(feeds);
  const [label, proba] = [out[session.outputNames[0]], out[session.outputNames[1]]];
  const nClasses = proba.dims[1];
  const probabilities = [];
  for (let i = 0; i < proba.dims[0]; i++) {
    probabilities.push(Array.from(proba.data.slice(i * nClasses, (i + 1) * nClasses)));
  }
  const labels = Array.from(label.data, (v) => (typeof v === "bigint" ? Number(v) : v));
  process.stdout.write(JSON.stringify({ label: labels, probabilities }));
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
