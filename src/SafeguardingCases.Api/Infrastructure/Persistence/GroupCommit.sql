-- One group of case commands, committed in one statement (one implicit transaction). See GroupCommitStatement.cs.
-- A double-braced name stands for a table, sequence or column list read from Marten's own mappings at start-up; @name is a
-- parameter. Data-modifying CTEs all run, once, in the statement's transaction:
--   locked   takes the cases' stream rows' locks in id order (two groups never deadlock) and reads their versions
--            after any concurrent commit;
--   fresh    keeps the commands decided on those versions;
--   answers  claims their Idempotency-Keys (an expired answer of the key is replaced);
--   accepted is what is left, and only its rows are written.
-- Returns, per command, whether its version was fresh and whether it was accepted (and for one whose case moved, the case).
with input as materialized (
    select * from unnest(@case_ids::uuid[], @expected::bigint[], @new_versions::bigint[], @answer_ids::text[])
        as i(case_id, expected, new_version, key_id)),
locked as materialized (
    select s.id, s.version from {{streams}} s where s.id = any(@case_ids::uuid[]) order by s.id for update),
fresh as materialized (
    select i.* from input i join locked l on l.id = i.case_id and l.version = i.expected),
answers as (
    insert into {{answers}} as r (id, data, mt_version, mt_dotnet_type, mt_last_modified)
    select k.id, k.data, gen_random_uuid(), @answer_type, transaction_timestamp()
    from unnest(@answer_ids::text[], @answer_data::jsonb[]) as k(id, data) join fresh f on f.key_id = k.id
    on conflict (id) do update set data = excluded.data, mt_version = excluded.mt_version,
        mt_dotnet_type = excluded.mt_dotnet_type, mt_last_modified = excluded.mt_last_modified
        where (r.data ->> 'expiresAtUnixMs')::bigint <= @now_ms
    returning r.id),
accepted as materialized (
    select f.* from fresh f where f.key_id is null or f.key_id in (select id from answers)),
appended as (
    insert into {{events}} (seq_id, id, stream_id, version, data, type, tenant_id, timestamp, mt_dotnet_type, is_archived, headers)
    select nextval('{{sequence}}'), e.id, e.stream_id, e.version, e.data, e.type, '*DEFAULT*',
        to_timestamp(@now_ms::double precision / 1000), e.dotnet_type, false, e.headers
    from (select e.* from unnest(@event_cases::uuid[], @event_ids::uuid[], @event_versions::bigint[], @event_types::text[],
                                 @event_dotnet_types::text[], @event_data::jsonb[], @event_headers::jsonb[])
              with ordinality as e(stream_id, id, version, type, dotnet_type, data, headers, ord)
          join accepted a on a.case_id = e.stream_id order by e.ord) e
    returning 1),
streams as (
    update {{streams}} s set version = a.new_version, timestamp = to_timestamp(@now_ms::double precision / 1000)
    from accepted a where s.id = a.case_id
    returning 1),
documents as (
    insert into {{cases}} as d (id, data, mt_dotnet_type, mt_version, mt_last_modified)
    select c.id, c.data, @case_type, a.new_version, transaction_timestamp()
    from unnest(@case_ids::uuid[], @case_data::jsonb[]) as c(id, data) join accepted a on a.case_id = c.id
    on conflict (id) do update set data = excluded.data, mt_dotnet_type = excluded.mt_dotnet_type,
        mt_version = excluded.mt_version, mt_last_modified = excluded.mt_last_modified
    returning 1),
summaries as (
    insert into {{summaries}} as m (id, data, mt_version, mt_dotnet_type, mt_last_modified{{summary_columns}})
    select c.id, c.data, gen_random_uuid(), @summary_type, transaction_timestamp(){{summary_values}}
    from unnest(@case_ids::uuid[], @summary_data::jsonb[]) as c(id, data)
    join accepted a on a.case_id = c.id
    on conflict (id) do update set data = excluded.data, mt_version = excluded.mt_version,
        mt_dotnet_type = excluded.mt_dotnet_type, mt_last_modified = excluded.mt_last_modified{{summary_updates}}
    returning 1)
-- A command left out because its case moved gets the case as it now stands (its version, and its document when the
-- statement's snapshot holds the document of that version), so it is decided again without a read of its own.
select i.case_id, f.case_id is not null, a.case_id is not null, l.version, d.data
from input i left join fresh f on f.case_id = i.case_id left join accepted a on a.case_id = i.case_id
left join locked l on l.id = i.case_id and f.case_id is null
left join {{cases}} d on d.id = l.id and d.mt_version = l.version
