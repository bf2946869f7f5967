/**
 * The documentation's code as programs. In README.md and docs/*.md, a ```ts block whose info
 * string names programs (```ts express fastify) belongs to each of them: the blocks of one
 * file tagged with one name, in order, form one program (a service, usually). An untagged
 * ```ts block is an illustration: a program of its own, compiled but not run.
 * `readme.test.ts` compiles every program and runs the services; `packaging.test.ts` builds a
 * Nest one from the packed tarball.
 */
import fs from 'node:fs';
import path from 'node:path';

export const root = path.resolve(__dirname, '../..');

/** The Markdown files whose code is tested: the README, then docs/ in name order. */
export function docFiles(): string[] {
  const docs = fs
    .readdirSync(path.join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs];
}

export interface FencedBlock {
  /** The language word of the info string (`ts`, `bash`, …). */
  lang: string;
  /** The program names after it (empty: an illustration). */
  programs: string[];
  code: string;
  /** 1-based line of the block's first code line in its file. */
  line: number;
}

/** Every fenced block of a Markdown text (```lang words…). */
export function fencedBlocks(markdown: string): FencedBlock[] {
  return [...markdown.matchAll(/^```([\w-]*)((?: [\w-]+)*)\n([\s\S]*?)^```$/gm)].map((m) => ({
    lang: m[1]!,
    programs: m[2]!.split(' ').filter((word) => word !== ''),
    code: m[3]!,
    line: markdown.slice(0, m.index).split('\n').length + 1,
  }));
}

/** The ```ts blocks of `markdown` tagged `name`, in order. */
export function programBlocks(markdown: string, name: string): string[] {
  return fencedBlocks(markdown)
    .filter((block) => block.lang === 'ts' && block.programs.includes(name))
    .map((block) => block.code);
}

export interface DocProgram {
  /** `README.md express`, or `docs/stores.md:120` for an illustration. */
  id: string;
  file: string;
  /** The tag; undefined for an illustration. */
  name: string | undefined;
  source: string;
  /** Where each block starts: its first line in `source` (0-based) and in `file` (1-based). */
  starts: Array<{ sourceLine: number; fileLine: number }>;
}

/** The programs of one Markdown file: its tagged programs, then its illustrations. */
export function docPrograms(file: string, markdown: string): DocProgram[] {
  const blocks = fencedBlocks(markdown).filter((block) => block.lang === 'ts');
  const names = [...new Set(blocks.flatMap((block) => block.programs))];
  const assemble = (id: string, name: string | undefined, parts: FencedBlock[]): DocProgram => {
    let sourceLine = 0;
    const starts = parts.map((block) => {
      const start = { sourceLine, fileLine: block.line };
      sourceLine += block.code.split('\n').length - 1;
      return start;
    });
    const source = `${parts.map((block) => block.code).join('')}export {};\n`;
    return { id, file, name, source, starts };
  };
  return [
    ...names.map((name) =>
      assemble(
        `${file} ${name}`,
        name,
        blocks.filter((block) => block.programs.includes(name)),
      ),
    ),
    ...blocks
      .filter((block) => block.programs.length === 0)
      .map((block) => assemble(`${file}:${block.line}`, undefined, [block])),
  ];
}

/** The Markdown line of a program's 0-based source line. */
export function fileLineOf(program: DocProgram, sourceLine: number): number {
  const start = [...program.starts].reverse().find((s) => s.sourceLine <= sourceLine);
  return start === undefined ? 0 : start.fileLine + (sourceLine - start.sourceLine);
}

/** Where a program's source is written to be compiled and run. */
export function programFile(workDir: string, program: DocProgram): string {
  return path.join(workDir, `${program.id.replace(/[^\w]+/g, '-')}.ts`);
}
