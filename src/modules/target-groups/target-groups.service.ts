import type { Database } from '../../db/client.ts';
import { AppError, notFound } from '../../lib/errors.ts';
import { groupName, type Locale } from '../../lib/format.ts';
import { assertMayWrite } from '../../lib/policy.ts';
import type { Principal } from '../../lib/principal.ts';
import { createReadCache } from '../../lib/read-cache.ts';
import { writeTag } from '../../lib/write-tags.ts';
import { recordAudit } from '../audit/audit.repository.ts';
import type { MunicipalityService } from '../municipalities/municipalities.service.ts';
import {
  findSibling,
  findTargetGroup,
  insertTargetGroup,
  listTargetGroups,
  type TargetGroupRow,
} from './target-groups.repository.ts';
import type { LocalTargetGroupInput } from './target-groups.schemas.ts';

export interface TargetGroupNode extends TargetGroupRow {
  depth: number;
  children: TargetGroupNode[];
}

/** Danish alphabetical order (æ, ø, å last), made once: a collator is costly to make. */
const danish = new Intl.Collator('da');

/** Orders groups depth-first so a flat list reads as a tree (parents before their children). */
function asTree(rows: TargetGroupRow[]): TargetGroupNode[] {
  const nodes = new Map<number, TargetGroupNode>(rows.map((r) => [r.id, { ...r, depth: 0, children: [] }]));
  const roots: TargetGroupNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.parentId === null ? undefined : nodes.get(node.parentId);
    if (parent) parent.children.push(node);
    else roots.push(node);
  }
  const byName = (a: TargetGroupNode, b: TargetGroupNode) => danish.compare(a.nameDa, b.nameDa);
  const flat: TargetGroupNode[] = [];
  const walk = (list: TargetGroupNode[], depth: number) => {
    for (const n of list.sort(byName)) {
      n.depth = depth;
      flat.push(n);
      walk(n.children, depth + 1);
    }
  };
  walk(roots, 0);
  return flat;
}

export function createTargetGroupService(database: Database, municipalities: MunicipalityService) {
  const { db } = database;
  // Nearly every page lists the groups, and they change only when a municipality adds one: read
  // until a target group is written. The lists are shared, so callers must not change them.
  const lists = createReadCache<TargetGroupRow[]>(database.writes, { max: 200, ttlMs: 60_000 });
  const trees = createReadCache<TargetGroupNode[]>(database.writes, { max: 200, ttlMs: 60_000 });
  const names = createReadCache<Readonly<Record<number, string>>>(database.writes, { max: 2, ttlMs: 60_000 });
  const tags = [writeTag.targetGroups];
  const list = (municipalityCode?: number) =>
    lists.get(String(municipalityCode ?? 'all'), tags, () => listTargetGroups(db, municipalityCode));
  return {
    /** Every FFB group, and the local groups of one municipality (or of all when none is given). */
    list,

    async tree(municipalityCode?: number): Promise<TargetGroupNode[]> {
      return trees.get(String(municipalityCode ?? 'all'), tags, async () => asTree(await list(municipalityCode)));
    },

    /**
     * Every group's name in the locale, by id: made once until a group is written, not for each page
     * that names groups (issue 17). Shared: callers must not change it.
     */
    async names(locale: Locale): Promise<Readonly<Record<number, string>>> {
      return names.get(locale, tags, async () =>
        Object.fromEntries((await list()).map((g) => [g.id, groupName(g, locale)])),
      );
    },

    /** Adds a municipality's own sub-group, e.g. "Meget belastede stofmisbrugere" under "Stofmisbrug". */
    async addLocal(principal: Principal, input: LocalTargetGroupInput): Promise<TargetGroupRow> {
      const municipalityCode = input.municipalityCode ?? principal.municipalityCode ?? 0;
      assertMayWrite(principal, 'targetGroups', municipalityCode);
      if ((await municipalities.unknownCodes([municipalityCode])).length) {
        throw new AppError('UNKNOWN_MUNICIPALITY', 400, 'error.validation', {
          fieldErrors: { municipalityCode: ['validation.unknownMunicipality'] },
        });
      }
      return db.transaction(async (tx) => {
        const parent = await findTargetGroup(tx, input.parentId);
        if (!parent) {
          throw new AppError('UNKNOWN_PARENT', 400, 'error.validation', {
            fieldErrors: { parentId: ['targetGroup.parent.unknown'] },
          });
        }
        if (parent.municipalityCode !== null && parent.municipalityCode !== municipalityCode) {
          throw new AppError('FOREIGN_PARENT', 400, 'error.validation', {
            fieldErrors: { parentId: ['targetGroup.parent.foreign'] },
          });
        }
        if (await findSibling(tx, parent.id, municipalityCode, input.nameDa)) {
          throw new AppError('DUPLICATE_TARGET_GROUP', 409, 'targetGroup.duplicate', {
            fieldErrors: { nameDa: ['targetGroup.duplicate'] },
          });
        }
        const row = await insertTargetGroup(tx, {
          nameDa: input.nameDa,
          nameEn: input.nameEn ?? null,
          parentId: parent.id,
          municipalityCode: municipalityCode,
          level: parent.level + 1,
        });
        await recordAudit(tx, principal, { entity: 'target_group', entityId: row.id, action: 'create', after: row });
        return row;
      });
    },

    async get(id: number): Promise<TargetGroupRow> {
      const row = await findTargetGroup(db, id);
      if (!row) throw notFound('target_group', id);
      return row;
    },
  };
}
export type TargetGroupService = ReturnType<typeof createTargetGroupService>;
