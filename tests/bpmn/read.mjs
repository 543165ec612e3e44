// Reads BPMN files with bpmn-moddle (bpmn.io's parser) and prints, one JSON line per file,
// whether it read the file and how many warnings it gave. Paths come on standard input,
// one per line, so the caller chooses the files (and no shell globbing is involved).
import { readFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import { BpmnModdle } from "bpmn-moddle";

const moddle = new BpmnModdle();
const lines = createInterface({ input: process.stdin });
for await (const path of lines) {
  if (!path.trim()) continue;
  try {
    const xml = await readFile(path, "utf8");
    const { warnings } = await moddle.fromXML(xml);
    console.log(JSON.stringify({ path, read: true, warnings: warnings.length }));
  } catch (error) {
    console.log(JSON.stringify({ path, read: false, error: String(error.message).slice(0, 200) }));
  }
}
