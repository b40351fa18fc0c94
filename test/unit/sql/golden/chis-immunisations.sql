-- exdef compiled SQL for chis-immunisations version 3 (definitions/chis-immunisations.exdef.yaml). Do not edit: recompile with exdef compile.
-- fingerprint c724867e81d7bb21a3c0fb7913a722582e54b8558c70b5a9f94c78c5fbc800be
-- digest      2e5b239dfaf625c0f22ca6c10a613dd3d913fe1f689eeecc9bd86018d62b1095
-- query: dataset children (from patient), every qualifying row, each with its record id (a delta run compares them with what the recipient holds)
-- columns: nhs_number (text), birth_month (date), practice (text), record_id (record_id), change_type (change_type), __held (held)
-- guards: population: registered on the snapshot date at A81001, A81002; permanent registrations only; the deceased excluded; PDS-sensitive patients never; Type 1 opt-outs respected; National Data Opt-out not applicable
-- guards: rows: soft-deleted and confidential rows excluded; sensitive codes (assisted_fertilisation, gender_reassignment, hiv_sti, sexuality, termination_of_pregnancy) excluded from every coded column
-- parameters:
--   $1 concept_999004351000000109 bigint = 999004351000000109: SNOMED CT concept 999004351000000109 |General practice summary data sharing exclusion for gender related issues simple reference set| (policy set gender_reassignment)
--   $2 concept_1955851000000101 bigint = 1955851000000101: SNOMED CT concept 1955851000000101 |National Health Service secondary use data exclusions due to Gender Recognition Act 2004 simple reference set| (policy set gender_reassignment)
--   $3 concept_118199002 bigint = 118199002: SNOMED CT concept 118199002 |Finding relating to sexuality and sexual activity| (policy set sexuality)
--   $4 concept_365957000 bigint = 365957000: SNOMED CT concept 365957000 |Finding related to sexual relationship| (policy set sexuality)
--   $5 concept_118200004 bigint = 118200004: SNOMED CT concept 118200004 |Finding related to sexual state| (policy set sexuality)
--   $6 concept_171023003 bigint = 171023003: SNOMED CT concept 171023003 |Psychosexual counseling| (policy set sexuality)
--   $7 concept_999004381000000103 bigint = 999004381000000103: SNOMED CT concept 999004381000000103 |General practice summary data sharing exclusion for sexually transmitted disease simple reference set| (policy set hiv_sti)
--   $8 concept_999004361000000107 bigint = 999004361000000107: SNOMED CT concept 999004361000000107 |General practice summary data sharing exclusion for termination of pregnancy simple reference set| (policy set termination_of_pregnancy)
--   $9 concept_999004371000000100 bigint = 999004371000000100: SNOMED CT concept 999004371000000100 |General practice summary data sharing exclusion for assisted fertilisation simple reference set| (policy set assisted_fertilisation)
--   $10 snapshot_date date given at run time: the snapshot date of the run (the extract date, UTC): today() and ages are judged on it, registrations must have started by it; deregistrations and opt-outs count from it up to the snapshot's own date
--   $11 practices text[] = {A81001, A81002}: the practices in scope (ODS codes)
--   $12 registration_type_permanent text = 'permanent': the registration type that means a permanent registration (registration.registration_type)
--   $13 opt_out_type1 text = 'type1': the opt_out.opt_out_type value of a Type 1 opt-out
--   $14 literal_1 bigint = 20: population WHERE: 20 [definitions/chis-immunisations.exdef.yaml:40:37]
--   $15 record_key text given at run time: the key that makes record ids opaque: made at each full baseline and kept with the delta state

WITH
  "sensitive_codes" AS (
    SELECT
      "z"."code"
    FROM
      (
        SELECT
          "m1"."referenced_component_id"
        FROM
          "terminology"."refset_member" AS "m1"
        WHERE
          "m1"."active"
          AND "m1"."refset_id" IN ($1::bigint, $2::bigint)
        UNION
        SELECT
          "c1"."descendant_id"
        FROM
          "terminology"."closure" AS "c1"
        WHERE
          "c1"."ancestor_id" IN ($3::bigint, $4::bigint, $5::bigint, $6::bigint)
        UNION
        SELECT
          "m2"."referenced_component_id"
        FROM
          "terminology"."refset_member" AS "m2"
        WHERE
          "m2"."active"
          AND "m2"."refset_id" IN ($7::bigint)
        UNION
        SELECT
          "m3"."referenced_component_id"
        FROM
          "terminology"."refset_member" AS "m3"
        WHERE
          "m3"."active"
          AND "m3"."refset_id" IN ($8::bigint)
        UNION
        SELECT
          "m4"."referenced_component_id"
        FROM
          "terminology"."refset_member" AS "m4"
        WHERE
          "m4"."active"
          AND "m4"."refset_id" IN ($9::bigint)
      ) AS z (code)
  ),
  "population_eligible" AS (
    SELECT
      "pt"."patient_id" AS "patient_id"
    FROM
      "reporting"."patient" AS "pt"
      INNER JOIN "reporting"."registration" AS "r" ON "r"."patient_id" = "pt"."patient_id"
      AND "r"."deleted_at" IS NULL
      AND "r"."start_date" <= $10::date
      AND (
        "r"."end_date" IS NULL
        OR "r"."end_date" >= GREATEST($10::date, (now() AT TIME ZONE 'UTC')::date)
      )
      AND "r"."practice_ods" = ANY ($11::TEXT[])
      AND "r"."registration_type" = $12::text
    WHERE
      "pt"."deleted_at" IS NULL
      AND "pt"."pds_sensitive" IS FALSE
      AND "pt"."date_of_death" IS NULL
      AND NOT (
        EXISTS (
          SELECT
            1
          FROM
            "reporting"."opt_out" AS "o1"
          WHERE
            "o1"."patient_id" = "pt"."patient_id"
            AND "o1"."opt_out_type" = $13::text
            AND "o1"."effective_from" < (
              (
                GREATEST($10::date, (now() AT TIME ZONE 'UTC')::date) + 1
              )::timestamp AT TIME ZONE 'UTC'
            )
            AND (
              "o1"."effective_to" IS NULL
              OR "o1"."effective_to" > ($10::date::timestamp AT TIME ZONE 'UTC')
            )
        )
      )
  ),
  "population_base" AS (
    SELECT DISTINCT
      ON ("pt"."patient_id") "pt"."patient_id" AS "patient_id",
      "r"."practice_ods" AS "practice",
      "r"."registration_id" AS "registration_key_1",
      (
        EXISTS (
          SELECT
            1
          FROM
            "reporting"."opt_out" AS "o2"
          WHERE
            "o2"."patient_id" = "pt"."patient_id"
            AND "o2"."opt_out_type" = $13::text
            AND "o2"."effective_from" < (
              (
                GREATEST($10::date, (now() AT TIME ZONE 'UTC')::date) + 1
              )::timestamp AT TIME ZONE 'UTC'
            )
            AND (
              "o2"."effective_to" IS NULL
              OR "o2"."effective_to" > ($10::date::timestamp AT TIME ZONE 'UTC')
            )
        )
      ) AS "opted_out"
    FROM
      "reporting"."patient" AS "pt"
      INNER JOIN "reporting"."registration" AS "r" ON "r"."patient_id" = "pt"."patient_id"
      AND "r"."deleted_at" IS NULL
      AND "r"."start_date" <= $10::date
      AND (
        "r"."end_date" IS NULL
        OR "r"."end_date" >= GREATEST($10::date, (now() AT TIME ZONE 'UTC')::date)
      )
      AND "r"."practice_ods" = ANY ($11::TEXT[])
      AND "r"."registration_type" = $12::text
    WHERE
      "pt"."deleted_at" IS NULL
      AND "pt"."pds_sensitive" IS FALSE
      AND "pt"."date_of_death" IS NULL
      AND (
        (
          EXTRACT(
            YEAR
            FROM
              age (
                $10::date::timestamp,
                "pt"."date_of_birth"::timestamp
              )
          )
        )::integer < $14::bigint
      )
    ORDER BY
      "pt"."patient_id",
      ("r"."registration_type" = $12::text) DESC,
      "r"."start_date",
      "r"."registration_id"
  ),
  "population" AS (
    SELECT
      "b"."patient_id",
      "b"."practice",
      "b"."registration_key_1"
    FROM
      "population_base" AS "b"
    WHERE
      NOT "b"."opted_out"
  )
SELECT
  "t"."nhs_number" AS "nhs_number",
  to_char(
    (
      date_trunc('month', "t"."date_of_birth"::timestamp)
    )::date,
    'YYYY-MM-DD'
  ) AS "birth_month",
  "j1"."practice_ods" AS "practice",
  left(
    encode(
      hmac (
        convert_to(("t"."patient_id")::text, 'UTF8'),
        convert_to($15::text, 'UTF8'),
        'sha256'
      ),
      'hex'
    ),
    32
  ) AS "record_id",
  'upsert' AS "change_type",
  concat_ws(
    '.',
    "p"."patient_id"::text,
    coalesce(
      floor(
        extract(
          epoch
          FROM
            "t"."updated_at"
        ) * 1000000
      )::bigint,
      0
    )::text,
    coalesce(("p"."practice")::text, '')
  ) AS "__held"
FROM
  "reporting"."patient" AS "t"
  INNER JOIN "population" AS "p" ON "p"."patient_id" = "t"."patient_id"
  LEFT JOIN "reporting"."registration" AS "j1" ON "j1"."patient_id" = "t"."patient_id"
  AND ("j1"."registration_id") IN (
    SELECT
      "registration_key_1"
    FROM
      "population"
  )
  AND "j1"."patient_id" IN (
    SELECT
      "patient_id"
    FROM
      "population"
  )
  AND "j1"."practice_ods" = ANY ($11::TEXT[])
  AND "j1"."deleted_at" IS NULL
WHERE
  "t"."deleted_at" IS NULL
  AND NOT COALESCE(
    "t"."ethnicity_code" IN (
      SELECT
        "code"
      FROM
        "sensitive_codes"
    ),
    FALSE
  )
ORDER BY
  "t"."patient_id";

-- exdef compiled SQL for chis-immunisations version 3 (definitions/chis-immunisations.exdef.yaml). Do not edit: recompile with exdef compile.
-- fingerprint c724867e81d7bb21a3c0fb7913a722582e54b8558c70b5a9f94c78c5fbc800be
-- digest      2e5b239dfaf625c0f22ca6c10a613dd3d913fe1f689eeecc9bd86018d62b1095
-- query: dataset children (from patient), k-anonymity: the smallest number of patients sharing one combination of nhs_number, birth_month (columns k, groups)
-- guards: population: registered on the snapshot date at A81001, A81002; permanent registrations only; the deceased excluded; PDS-sensitive patients never; Type 1 opt-outs respected; National Data Opt-out not applicable
-- guards: rows: soft-deleted and confidential rows excluded; sensitive codes (assisted_fertilisation, gender_reassignment, hiv_sti, sexuality, termination_of_pregnancy) excluded from every coded column
-- parameters:
--   $1 concept_999004351000000109 bigint = 999004351000000109: SNOMED CT concept 999004351000000109 |General practice summary data sharing exclusion for gender related issues simple reference set| (policy set gender_reassignment)
--   $2 concept_1955851000000101 bigint = 1955851000000101: SNOMED CT concept 1955851000000101 |National Health Service secondary use data exclusions due to Gender Recognition Act 2004 simple reference set| (policy set gender_reassignment)
--   $3 concept_118199002 bigint = 118199002: SNOMED CT concept 118199002 |Finding relating to sexuality and sexual activity| (policy set sexuality)
--   $4 concept_365957000 bigint = 365957000: SNOMED CT concept 365957000 |Finding related to sexual relationship| (policy set sexuality)
--   $5 concept_118200004 bigint = 118200004: SNOMED CT concept 118200004 |Finding related to sexual state| (policy set sexuality)
--   $6 concept_171023003 bigint = 171023003: SNOMED CT concept 171023003 |Psychosexual counseling| (policy set sexuality)
--   $7 concept_999004381000000103 bigint = 999004381000000103: SNOMED CT concept 999004381000000103 |General practice summary data sharing exclusion for sexually transmitted disease simple reference set| (policy set hiv_sti)
--   $8 concept_999004361000000107 bigint = 999004361000000107: SNOMED CT concept 999004361000000107 |General practice summary data sharing exclusion for termination of pregnancy simple reference set| (policy set termination_of_pregnancy)
--   $9 concept_999004371000000100 bigint = 999004371000000100: SNOMED CT concept 999004371000000100 |General practice summary data sharing exclusion for assisted fertilisation simple reference set| (policy set assisted_fertilisation)
--   $10 snapshot_date date given at run time: the snapshot date of the run (the extract date, UTC): today() and ages are judged on it, registrations must have started by it; deregistrations and opt-outs count from it up to the snapshot's own date
--   $11 practices text[] = {A81001, A81002}: the practices in scope (ODS codes)
--   $12 registration_type_permanent text = 'permanent': the registration type that means a permanent registration (registration.registration_type)
--   $13 opt_out_type1 text = 'type1': the opt_out.opt_out_type value of a Type 1 opt-out
--   $14 literal_1 bigint = 20: population WHERE: 20 [definitions/chis-immunisations.exdef.yaml:40:37]

WITH
  "sensitive_codes" AS (
    SELECT
      "z"."code"
    FROM
      (
        SELECT
          "m1"."referenced_component_id"
        FROM
          "terminology"."refset_member" AS "m1"
        WHERE
          "m1"."active"
          AND "m1"."refset_id" IN ($1::bigint, $2::bigint)
        UNION
        SELECT
          "c1"."descendant_id"
        FROM
          "terminology"."closure" AS "c1"
        WHERE
          "c1"."ancestor_id" IN ($3::bigint, $4::bigint, $5::bigint, $6::bigint)
        UNION
        SELECT
          "m2"."referenced_component_id"
        FROM
          "terminology"."refset_member" AS "m2"
        WHERE
          "m2"."active"
          AND "m2"."refset_id" IN ($7::bigint)
        UNION
        SELECT
          "m3"."referenced_component_id"
        FROM
          "terminology"."refset_member" AS "m3"
        WHERE
          "m3"."active"
          AND "m3"."refset_id" IN ($8::bigint)
        UNION
        SELECT
          "m4"."referenced_component_id"
        FROM
          "terminology"."refset_member" AS "m4"
        WHERE
          "m4"."active"
          AND "m4"."refset_id" IN ($9::bigint)
      ) AS z (code)
  ),
  "population_eligible" AS (
    SELECT
      "pt"."patient_id" AS "patient_id"
    FROM
      "reporting"."patient" AS "pt"
      INNER JOIN "reporting"."registration" AS "r" ON "r"."patient_id" = "pt"."patient_id"
      AND "r"."deleted_at" IS NULL
      AND "r"."start_date" <= $10::date
      AND (
        "r"."end_date" IS NULL
        OR "r"."end_date" >= GREATEST($10::date, (now() AT TIME ZONE 'UTC')::date)
      )
      AND "r"."practice_ods" = ANY ($11::TEXT[])
      AND "r"."registration_type" = $12::text
    WHERE
      "pt"."deleted_at" IS NULL
      AND "pt"."pds_sensitive" IS FALSE
      AND "pt"."date_of_death" IS NULL
      AND NOT (
        EXISTS (
          SELECT
            1
          FROM
            "reporting"."opt_out" AS "o1"
          WHERE
            "o1"."patient_id" = "pt"."patient_id"
            AND "o1"."opt_out_type" = $13::text
            AND "o1"."effective_from" < (
              (
                GREATEST($10::date, (now() AT TIME ZONE 'UTC')::date) + 1
              )::timestamp AT TIME ZONE 'UTC'
            )
            AND (
              "o1"."effective_to" IS NULL
              OR "o1"."effective_to" > ($10::date::timestamp AT TIME ZONE 'UTC')
            )
        )
      )
  ),
  "population_base" AS (
    SELECT DISTINCT
      ON ("pt"."patient_id") "pt"."patient_id" AS "patient_id",
      "r"."practice_ods" AS "practice",
      "r"."registration_id" AS "registration_key_1",
      (
        EXISTS (
          SELECT
            1
          FROM
            "reporting"."opt_out" AS "o2"
          WHERE
            "o2"."patient_id" = "pt"."patient_id"
            AND "o2"."opt_out_type" = $13::text
            AND "o2"."effective_from" < (
              (
                GREATEST($10::date, (now() AT TIME ZONE 'UTC')::date) + 1
              )::timestamp AT TIME ZONE 'UTC'
            )
            AND (
              "o2"."effective_to" IS NULL
              OR "o2"."effective_to" > ($10::date::timestamp AT TIME ZONE 'UTC')
            )
        )
      ) AS "opted_out"
    FROM
      "reporting"."patient" AS "pt"
      INNER JOIN "reporting"."registration" AS "r" ON "r"."patient_id" = "pt"."patient_id"
      AND "r"."deleted_at" IS NULL
      AND "r"."start_date" <= $10::date
      AND (
        "r"."end_date" IS NULL
        OR "r"."end_date" >= GREATEST($10::date, (now() AT TIME ZONE 'UTC')::date)
      )
      AND "r"."practice_ods" = ANY ($11::TEXT[])
      AND "r"."registration_type" = $12::text
    WHERE
      "pt"."deleted_at" IS NULL
      AND "pt"."pds_sensitive" IS FALSE
      AND "pt"."date_of_death" IS NULL
      AND (
        (
          EXTRACT(
            YEAR
            FROM
              age (
                $10::date::timestamp,
                "pt"."date_of_birth"::timestamp
              )
          )
        )::integer < $14::bigint
      )
    ORDER BY
      "pt"."patient_id",
      ("r"."registration_type" = $12::text) DESC,
      "r"."start_date",
      "r"."registration_id"
  ),
  "population" AS (
    SELECT
      "b"."patient_id",
      "b"."practice",
      "b"."registration_key_1"
    FROM
      "population_base" AS "b"
    WHERE
      NOT "b"."opted_out"
  )
SELECT
  min("g"."n") AS "k",
  count(*) AS "groups"
FROM
  (
    SELECT
      count(DISTINCT "r"."__patient") AS "n"
    FROM
      (
        SELECT
          "p"."patient_id" AS "__patient",
          "t"."nhs_number" AS "q1",
          to_char(
            (
              date_trunc('month', "t"."date_of_birth"::timestamp)
            )::date,
            'YYYY-MM-DD'
          ) AS "q2"
        FROM
          "reporting"."patient" AS "t"
          INNER JOIN "population" AS "p" ON "p"."patient_id" = "t"."patient_id"
        WHERE
          "t"."deleted_at" IS NULL
          AND NOT COALESCE(
            "t"."ethnicity_code" IN (
              SELECT
                "code"
              FROM
                "sensitive_codes"
            ),
            FALSE
          )
      ) AS "r"
    GROUP BY
      "r"."q1",
      "r"."q2"
  ) AS "g";

-- exdef compiled SQL for chis-immunisations version 3 (definitions/chis-immunisations.exdef.yaml). Do not edit: recompile with exdef compile.
-- fingerprint c724867e81d7bb21a3c0fb7913a722582e54b8558c70b5a9f94c78c5fbc800be
-- digest      2e5b239dfaf625c0f22ca6c10a613dd3d913fe1f689eeecc9bd86018d62b1095
-- query: dataset immunisations (from observation), every qualifying row, each with its record id (a delta run compares them with what the recipient holds)
-- columns: nhs_number (text), vaccination_code (code), vaccination_date (date), record_id (record_id), change_type (change_type), __held (held)
-- guards: population: registered on the snapshot date at A81001, A81002; permanent registrations only; the deceased excluded; PDS-sensitive patients never; Type 1 opt-outs respected; National Data Opt-out not applicable
-- guards: rows: soft-deleted and confidential rows excluded; sensitive codes (assisted_fertilisation, gender_reassignment, hiv_sti, sexuality, termination_of_pregnancy) excluded from every coded column
-- parameters:
--   $1 concept_999004351000000109 bigint = 999004351000000109: SNOMED CT concept 999004351000000109 |General practice summary data sharing exclusion for gender related issues simple reference set| (policy set gender_reassignment)
--   $2 concept_1955851000000101 bigint = 1955851000000101: SNOMED CT concept 1955851000000101 |National Health Service secondary use data exclusions due to Gender Recognition Act 2004 simple reference set| (policy set gender_reassignment)
--   $3 concept_118199002 bigint = 118199002: SNOMED CT concept 118199002 |Finding relating to sexuality and sexual activity| (policy set sexuality)
--   $4 concept_365957000 bigint = 365957000: SNOMED CT concept 365957000 |Finding related to sexual relationship| (policy set sexuality)
--   $5 concept_118200004 bigint = 118200004: SNOMED CT concept 118200004 |Finding related to sexual state| (policy set sexuality)
--   $6 concept_171023003 bigint = 171023003: SNOMED CT concept 171023003 |Psychosexual counseling| (policy set sexuality)
--   $7 concept_999004381000000103 bigint = 999004381000000103: SNOMED CT concept 999004381000000103 |General practice summary data sharing exclusion for sexually transmitted disease simple reference set| (policy set hiv_sti)
--   $8 concept_999004361000000107 bigint = 999004361000000107: SNOMED CT concept 999004361000000107 |General practice summary data sharing exclusion for termination of pregnancy simple reference set| (policy set termination_of_pregnancy)
--   $9 concept_999004371000000100 bigint = 999004371000000100: SNOMED CT concept 999004371000000100 |General practice summary data sharing exclusion for assisted fertilisation simple reference set| (policy set assisted_fertilisation)
--   $10 snapshot_date date given at run time: the snapshot date of the run (the extract date, UTC): today() and ages are judged on it, registrations must have started by it; deregistrations and opt-outs count from it up to the snapshot's own date
--   $11 practices text[] = {A81001, A81002}: the practices in scope (ODS codes)
--   $12 registration_type_permanent text = 'permanent': the registration type that means a permanent registration (registration.registration_type)
--   $13 opt_out_type1 text = 'type1': the opt_out.opt_out_type value of a Type 1 opt-out
--   $14 literal_1 bigint = 20: population WHERE: 20 [definitions/chis-immunisations.exdef.yaml:40:37]
--   $15 record_key text given at run time: the key that makes record ids opaque: made at each full baseline and kept with the delta state
--   $16 concept_33879002 bigint = 33879002: SNOMED CT concept 33879002 |Administration of vaccine to produce active immunity| (dataset immunisations, WHERE)

WITH
  "sensitive_codes" AS (
    SELECT
      "z"."code"
    FROM
      (
        SELECT
          "m1"."referenced_component_id"
        FROM
          "terminology"."refset_member" AS "m1"
        WHERE
          "m1"."active"
          AND "m1"."refset_id" IN ($1::bigint, $2::bigint)
        UNION
        SELECT
          "c1"."descendant_id"
        FROM
          "terminology"."closure" AS "c1"
        WHERE
          "c1"."ancestor_id" IN ($3::bigint, $4::bigint, $5::bigint, $6::bigint)
        UNION
        SELECT
          "m2"."referenced_component_id"
        FROM
          "terminology"."refset_member" AS "m2"
        WHERE
          "m2"."active"
          AND "m2"."refset_id" IN ($7::bigint)
        UNION
        SELECT
          "m3"."referenced_component_id"
        FROM
          "terminology"."refset_member" AS "m3"
        WHERE
          "m3"."active"
          AND "m3"."refset_id" IN ($8::bigint)
        UNION
        SELECT
          "m4"."referenced_component_id"
        FROM
          "terminology"."refset_member" AS "m4"
        WHERE
          "m4"."active"
          AND "m4"."refset_id" IN ($9::bigint)
      ) AS z (code)
  ),
  "population_eligible" AS (
    SELECT
      "pt"."patient_id" AS "patient_id"
    FROM
      "reporting"."patient" AS "pt"
      INNER JOIN "reporting"."registration" AS "r" ON "r"."patient_id" = "pt"."patient_id"
      AND "r"."deleted_at" IS NULL
      AND "r"."start_date" <= $10::date
      AND (
        "r"."end_date" IS NULL
        OR "r"."end_date" >= GREATEST($10::date, (now() AT TIME ZONE 'UTC')::date)
      )
      AND "r"."practice_ods" = ANY ($11::TEXT[])
      AND "r"."registration_type" = $12::text
    WHERE
      "pt"."deleted_at" IS NULL
      AND "pt"."pds_sensitive" IS FALSE
      AND "pt"."date_of_death" IS NULL
      AND NOT (
        EXISTS (
          SELECT
            1
          FROM
            "reporting"."opt_out" AS "o1"
          WHERE
            "o1"."patient_id" = "pt"."patient_id"
            AND "o1"."opt_out_type" = $13::text
            AND "o1"."effective_from" < (
              (
                GREATEST($10::date, (now() AT TIME ZONE 'UTC')::date) + 1
              )::timestamp AT TIME ZONE 'UTC'
            )
            AND (
              "o1"."effective_to" IS NULL
              OR "o1"."effective_to" > ($10::date::timestamp AT TIME ZONE 'UTC')
            )
        )
      )
  ),
  "population_base" AS (
    SELECT DISTINCT
      ON ("pt"."patient_id") "pt"."patient_id" AS "patient_id",
      "r"."practice_ods" AS "practice",
      "r"."registration_id" AS "registration_key_1",
      (
        EXISTS (
          SELECT
            1
          FROM
            "reporting"."opt_out" AS "o2"
          WHERE
            "o2"."patient_id" = "pt"."patient_id"
            AND "o2"."opt_out_type" = $13::text
            AND "o2"."effective_from" < (
              (
                GREATEST($10::date, (now() AT TIME ZONE 'UTC')::date) + 1
              )::timestamp AT TIME ZONE 'UTC'
            )
            AND (
              "o2"."effective_to" IS NULL
              OR "o2"."effective_to" > ($10::date::timestamp AT TIME ZONE 'UTC')
            )
        )
      ) AS "opted_out"
    FROM
      "reporting"."patient" AS "pt"
      INNER JOIN "reporting"."registration" AS "r" ON "r"."patient_id" = "pt"."patient_id"
      AND "r"."deleted_at" IS NULL
      AND "r"."start_date" <= $10::date
      AND (
        "r"."end_date" IS NULL
        OR "r"."end_date" >= GREATEST($10::date, (now() AT TIME ZONE 'UTC')::date)
      )
      AND "r"."practice_ods" = ANY ($11::TEXT[])
      AND "r"."registration_type" = $12::text
    WHERE
      "pt"."deleted_at" IS NULL
      AND "pt"."pds_sensitive" IS FALSE
      AND "pt"."date_of_death" IS NULL
      AND (
        (
          EXTRACT(
            YEAR
            FROM
              age (
                $10::date::timestamp,
                "pt"."date_of_birth"::timestamp
              )
          )
        )::integer < $14::bigint
      )
    ORDER BY
      "pt"."patient_id",
      ("r"."registration_type" = $12::text) DESC,
      "r"."start_date",
      "r"."registration_id"
  ),
  "population" AS (
    SELECT
      "b"."patient_id",
      "b"."practice",
      "b"."registration_key_1"
    FROM
      "population_base" AS "b"
    WHERE
      NOT "b"."opted_out"
  )
SELECT
  "j1"."nhs_number" AS "nhs_number",
  ("t"."code")::text AS "vaccination_code",
  to_char("t"."effective_date", 'YYYY-MM-DD') AS "vaccination_date",
  left(
    encode(
      hmac (
        convert_to(("t"."observation_id")::text, 'UTF8'),
        convert_to($15::text, 'UTF8'),
        'sha256'
      ),
      'hex'
    ),
    32
  ) AS "record_id",
  'upsert' AS "change_type",
  concat_ws(
    '.',
    "p"."patient_id"::text,
    coalesce(
      floor(
        extract(
          epoch
          FROM
            "t"."updated_at"
        ) * 1000000
      )::bigint,
      0
    )::text,
    coalesce(("t"."practice_ods")::text, '')
  ) AS "__held"
FROM
  "reporting"."observation" AS "t"
  INNER JOIN "population" AS "p" ON "p"."patient_id" = "t"."patient_id"
  LEFT JOIN "reporting"."patient" AS "j1" ON "j1"."patient_id" = "t"."patient_id"
  AND "j1"."patient_id" IN (
    SELECT
      "patient_id"
    FROM
      "population"
  )
  AND "j1"."deleted_at" IS NULL
  AND NOT COALESCE(
    "j1"."ethnicity_code" IN (
      SELECT
        "code"
      FROM
        "sensitive_codes"
    ),
    FALSE
  )
WHERE
  "t"."practice_ods" = ANY ($11::TEXT[])
  AND "t"."deleted_at" IS NULL
  AND "t"."confidential" IS FALSE
  AND NOT EXISTS (
    SELECT
      1
    FROM
      "reporting"."consultation" AS "t_consultation"
    WHERE
      "t_consultation"."consultation_id" = "t"."consultation_id"
      AND "t_consultation"."confidential" IS NOT FALSE
  )
  AND NOT COALESCE(
    "t"."code" IN (
      SELECT
        "code"
      FROM
        "sensitive_codes"
    ),
    FALSE
  )
  AND (
    "t"."code" IN (
      SELECT
        "c1"."descendant_id"
      FROM
        "terminology"."closure" AS "c1"
      WHERE
        "c1"."ancestor_id" IN ($16::bigint)
    )
  )
ORDER BY
  "t"."observation_id";

-- exdef compiled SQL for chis-immunisations version 3 (definitions/chis-immunisations.exdef.yaml). Do not edit: recompile with exdef compile.
-- fingerprint c724867e81d7bb21a3c0fb7913a722582e54b8558c70b5a9f94c78c5fbc800be
-- digest      2e5b239dfaf625c0f22ca6c10a613dd3d913fe1f689eeecc9bd86018d62b1095
-- query: dataset immunisations (from observation), k-anonymity: the smallest number of patients sharing one combination of nhs_number, vaccination_date (columns k, groups)
-- guards: population: registered on the snapshot date at A81001, A81002; permanent registrations only; the deceased excluded; PDS-sensitive patients never; Type 1 opt-outs respected; National Data Opt-out not applicable
-- guards: rows: soft-deleted and confidential rows excluded; sensitive codes (assisted_fertilisation, gender_reassignment, hiv_sti, sexuality, termination_of_pregnancy) excluded from every coded column
-- parameters:
--   $1 concept_999004351000000109 bigint = 999004351000000109: SNOMED CT concept 999004351000000109 |General practice summary data sharing exclusion for gender related issues simple reference set| (policy set gender_reassignment)
--   $2 concept_1955851000000101 bigint = 1955851000000101: SNOMED CT concept 1955851000000101 |National Health Service secondary use data exclusions due to Gender Recognition Act 2004 simple reference set| (policy set gender_reassignment)
--   $3 concept_118199002 bigint = 118199002: SNOMED CT concept 118199002 |Finding relating to sexuality and sexual activity| (policy set sexuality)
--   $4 concept_365957000 bigint = 365957000: SNOMED CT concept 365957000 |Finding related to sexual relationship| (policy set sexuality)
--   $5 concept_118200004 bigint = 118200004: SNOMED CT concept 118200004 |Finding related to sexual state| (policy set sexuality)
--   $6 concept_171023003 bigint = 171023003: SNOMED CT concept 171023003 |Psychosexual counseling| (policy set sexuality)
--   $7 concept_999004381000000103 bigint = 999004381000000103: SNOMED CT concept 999004381000000103 |General practice summary data sharing exclusion for sexually transmitted disease simple reference set| (policy set hiv_sti)
--   $8 concept_999004361000000107 bigint = 999004361000000107: SNOMED CT concept 999004361000000107 |General practice summary data sharing exclusion for termination of pregnancy simple reference set| (policy set termination_of_pregnancy)
--   $9 concept_999004371000000100 bigint = 999004371000000100: SNOMED CT concept 999004371000000100 |General practice summary data sharing exclusion for assisted fertilisation simple reference set| (policy set assisted_fertilisation)
--   $10 snapshot_date date given at run time: the snapshot date of the run (the extract date, UTC): today() and ages are judged on it, registrations must have started by it; deregistrations and opt-outs count from it up to the snapshot's own date
--   $11 practices text[] = {A81001, A81002}: the practices in scope (ODS codes)
--   $12 registration_type_permanent text = 'permanent': the registration type that means a permanent registration (registration.registration_type)
--   $13 opt_out_type1 text = 'type1': the opt_out.opt_out_type value of a Type 1 opt-out
--   $14 literal_1 bigint = 20: population WHERE: 20 [definitions/chis-immunisations.exdef.yaml:40:37]
--   $15 concept_33879002 bigint = 33879002: SNOMED CT concept 33879002 |Administration of vaccine to produce active immunity| (dataset immunisations, WHERE)

WITH
  "sensitive_codes" AS (
    SELECT
      "z"."code"
    FROM
      (
        SELECT
          "m1"."referenced_component_id"
        FROM
          "terminology"."refset_member" AS "m1"
        WHERE
          "m1"."active"
          AND "m1"."refset_id" IN ($1::bigint, $2::bigint)
        UNION
        SELECT
          "c1"."descendant_id"
        FROM
          "terminology"."closure" AS "c1"
        WHERE
          "c1"."ancestor_id" IN ($3::bigint, $4::bigint, $5::bigint, $6::bigint)
        UNION
        SELECT
          "m2"."referenced_component_id"
        FROM
          "terminology"."refset_member" AS "m2"
        WHERE
          "m2"."active"
          AND "m2"."refset_id" IN ($7::bigint)
        UNION
        SELECT
          "m3"."referenced_component_id"
        FROM
          "terminology"."refset_member" AS "m3"
        WHERE
          "m3"."active"
          AND "m3"."refset_id" IN ($8::bigint)
        UNION
        SELECT
          "m4"."referenced_component_id"
        FROM
          "terminology"."refset_member" AS "m4"
        WHERE
          "m4"."active"
          AND "m4"."refset_id" IN ($9::bigint)
      ) AS z (code)
  ),
  "population_eligible" AS (
    SELECT
      "pt"."patient_id" AS "patient_id"
    FROM
      "reporting"."patient" AS "pt"
      INNER JOIN "reporting"."registration" AS "r" ON "r"."patient_id" = "pt"."patient_id"
      AND "r"."deleted_at" IS NULL
      AND "r"."start_date" <= $10::date
      AND (
        "r"."end_date" IS NULL
        OR "r"."end_date" >= GREATEST($10::date, (now() AT TIME ZONE 'UTC')::date)
      )
      AND "r"."practice_ods" = ANY ($11::TEXT[])
      AND "r"."registration_type" = $12::text
    WHERE
      "pt"."deleted_at" IS NULL
      AND "pt"."pds_sensitive" IS FALSE
      AND "pt"."date_of_death" IS NULL
      AND NOT (
        EXISTS (
          SELECT
            1
          FROM
            "reporting"."opt_out" AS "o1"
          WHERE
            "o1"."patient_id" = "pt"."patient_id"
            AND "o1"."opt_out_type" = $13::text
            AND "o1"."effective_from" < (
              (
                GREATEST($10::date, (now() AT TIME ZONE 'UTC')::date) + 1
              )::timestamp AT TIME ZONE 'UTC'
            )
            AND (
              "o1"."effective_to" IS NULL
              OR "o1"."effective_to" > ($10::date::timestamp AT TIME ZONE 'UTC')
            )
        )
      )
  ),
  "population_base" AS (
    SELECT DISTINCT
      ON ("pt"."patient_id") "pt"."patient_id" AS "patient_id",
      "r"."practice_ods" AS "practice",
      "r"."registration_id" AS "registration_key_1",
      (
        EXISTS (
          SELECT
            1
          FROM
            "reporting"."opt_out" AS "o2"
          WHERE
            "o2"."patient_id" = "pt"."patient_id"
            AND "o2"."opt_out_type" = $13::text
            AND "o2"."effective_from" < (
              (
                GREATEST($10::date, (now() AT TIME ZONE 'UTC')::date) + 1
              )::timestamp AT TIME ZONE 'UTC'
            )
            AND (
              "o2"."effective_to" IS NULL
              OR "o2"."effective_to" > ($10::date::timestamp AT TIME ZONE 'UTC')
            )
        )
      ) AS "opted_out"
    FROM
      "reporting"."patient" AS "pt"
      INNER JOIN "reporting"."registration" AS "r" ON "r"."patient_id" = "pt"."patient_id"
      AND "r"."deleted_at" IS NULL
      AND "r"."start_date" <= $10::date
      AND (
        "r"."end_date" IS NULL
        OR "r"."end_date" >= GREATEST($10::date, (now() AT TIME ZONE 'UTC')::date)
      )
      AND "r"."practice_ods" = ANY ($11::TEXT[])
      AND "r"."registration_type" = $12::text
    WHERE
      "pt"."deleted_at" IS NULL
      AND "pt"."pds_sensitive" IS FALSE
      AND "pt"."date_of_death" IS NULL
      AND (
        (
          EXTRACT(
            YEAR
            FROM
              age (
                $10::date::timestamp,
                "pt"."date_of_birth"::timestamp
              )
          )
        )::integer < $14::bigint
      )
    ORDER BY
      "pt"."patient_id",
      ("r"."registration_type" = $12::text) DESC,
      "r"."start_date",
      "r"."registration_id"
  ),
  "population" AS (
    SELECT
      "b"."patient_id",
      "b"."practice",
      "b"."registration_key_1"
    FROM
      "population_base" AS "b"
    WHERE
      NOT "b"."opted_out"
  )
SELECT
  min("g"."n") AS "k",
  count(*) AS "groups"
FROM
  (
    SELECT
      count(DISTINCT "r"."__patient") AS "n"
    FROM
      (
        SELECT
          "p"."patient_id" AS "__patient",
          "j1"."nhs_number" AS "q1",
          to_char("t"."effective_date", 'YYYY-MM-DD') AS "q2"
        FROM
          "reporting"."observation" AS "t"
          INNER JOIN "population" AS "p" ON "p"."patient_id" = "t"."patient_id"
          LEFT JOIN "reporting"."patient" AS "j1" ON "j1"."patient_id" = "t"."patient_id"
          AND "j1"."patient_id" IN (
            SELECT
              "patient_id"
            FROM
              "population"
          )
          AND "j1"."deleted_at" IS NULL
          AND NOT COALESCE(
            "j1"."ethnicity_code" IN (
              SELECT
                "code"
              FROM
                "sensitive_codes"
            ),
            FALSE
          )
        WHERE
          "t"."practice_ods" = ANY ($11::TEXT[])
          AND "t"."deleted_at" IS NULL
          AND "t"."confidential" IS FALSE
          AND NOT EXISTS (
            SELECT
              1
            FROM
              "reporting"."consultation" AS "t_consultation"
            WHERE
              "t_consultation"."consultation_id" = "t"."consultation_id"
              AND "t_consultation"."confidential" IS NOT FALSE
          )
          AND NOT COALESCE(
            "t"."code" IN (
              SELECT
                "code"
              FROM
                "sensitive_codes"
            ),
            FALSE
          )
          AND (
            "t"."code" IN (
              SELECT
                "c1"."descendant_id"
              FROM
                "terminology"."closure" AS "c1"
              WHERE
                "c1"."ancestor_id" IN ($15::bigint)
            )
          )
      ) AS "r"
    GROUP BY
      "r"."q1",
      "r"."q2"
  ) AS "g";

-- exdef compiled SQL for chis-immunisations version 3 (definitions/chis-immunisations.exdef.yaml). Do not edit: recompile with exdef compile.
-- fingerprint c724867e81d7bb21a3c0fb7913a722582e54b8558c70b5a9f94c78c5fbc800be
-- digest      2e5b239dfaf625c0f22ca6c10a613dd3d913fe1f689eeecc9bd86018d62b1095
-- query: the population (every patient of it, their practice and whether an opt-out leaves them out)
-- guards: population: registered on the snapshot date at A81001, A81002; permanent registrations only; the deceased excluded; PDS-sensitive patients never; Type 1 opt-outs respected; National Data Opt-out not applicable
-- guards: rows: soft-deleted and confidential rows excluded; sensitive codes (assisted_fertilisation, gender_reassignment, hiv_sti, sexuality, termination_of_pregnancy) excluded from every coded column
-- parameters:
--   $1 concept_999004351000000109 bigint = 999004351000000109: SNOMED CT concept 999004351000000109 |General practice summary data sharing exclusion for gender related issues simple reference set| (policy set gender_reassignment)
--   $2 concept_1955851000000101 bigint = 1955851000000101: SNOMED CT concept 1955851000000101 |National Health Service secondary use data exclusions due to Gender Recognition Act 2004 simple reference set| (policy set gender_reassignment)
--   $3 concept_118199002 bigint = 118199002: SNOMED CT concept 118199002 |Finding relating to sexuality and sexual activity| (policy set sexuality)
--   $4 concept_365957000 bigint = 365957000: SNOMED CT concept 365957000 |Finding related to sexual relationship| (policy set sexuality)
--   $5 concept_118200004 bigint = 118200004: SNOMED CT concept 118200004 |Finding related to sexual state| (policy set sexuality)
--   $6 concept_171023003 bigint = 171023003: SNOMED CT concept 171023003 |Psychosexual counseling| (policy set sexuality)
--   $7 concept_999004381000000103 bigint = 999004381000000103: SNOMED CT concept 999004381000000103 |General practice summary data sharing exclusion for sexually transmitted disease simple reference set| (policy set hiv_sti)
--   $8 concept_999004361000000107 bigint = 999004361000000107: SNOMED CT concept 999004361000000107 |General practice summary data sharing exclusion for termination of pregnancy simple reference set| (policy set termination_of_pregnancy)
--   $9 concept_999004371000000100 bigint = 999004371000000100: SNOMED CT concept 999004371000000100 |General practice summary data sharing exclusion for assisted fertilisation simple reference set| (policy set assisted_fertilisation)
--   $10 snapshot_date date given at run time: the snapshot date of the run (the extract date, UTC): today() and ages are judged on it, registrations must have started by it; deregistrations and opt-outs count from it up to the snapshot's own date
--   $11 practices text[] = {A81001, A81002}: the practices in scope (ODS codes)
--   $12 registration_type_permanent text = 'permanent': the registration type that means a permanent registration (registration.registration_type)
--   $13 opt_out_type1 text = 'type1': the opt_out.opt_out_type value of a Type 1 opt-out
--   $14 literal_1 bigint = 20: population WHERE: 20 [definitions/chis-immunisations.exdef.yaml:40:37]

WITH
  "sensitive_codes" AS (
    SELECT
      "z"."code"
    FROM
      (
        SELECT
          "m1"."referenced_component_id"
        FROM
          "terminology"."refset_member" AS "m1"
        WHERE
          "m1"."active"
          AND "m1"."refset_id" IN ($1::bigint, $2::bigint)
        UNION
        SELECT
          "c1"."descendant_id"
        FROM
          "terminology"."closure" AS "c1"
        WHERE
          "c1"."ancestor_id" IN ($3::bigint, $4::bigint, $5::bigint, $6::bigint)
        UNION
        SELECT
          "m2"."referenced_component_id"
        FROM
          "terminology"."refset_member" AS "m2"
        WHERE
          "m2"."active"
          AND "m2"."refset_id" IN ($7::bigint)
        UNION
        SELECT
          "m3"."referenced_component_id"
        FROM
          "terminology"."refset_member" AS "m3"
        WHERE
          "m3"."active"
          AND "m3"."refset_id" IN ($8::bigint)
        UNION
        SELECT
          "m4"."referenced_component_id"
        FROM
          "terminology"."refset_member" AS "m4"
        WHERE
          "m4"."active"
          AND "m4"."refset_id" IN ($9::bigint)
      ) AS z (code)
  ),
  "population_eligible" AS (
    SELECT
      "pt"."patient_id" AS "patient_id"
    FROM
      "reporting"."patient" AS "pt"
      INNER JOIN "reporting"."registration" AS "r" ON "r"."patient_id" = "pt"."patient_id"
      AND "r"."deleted_at" IS NULL
      AND "r"."start_date" <= $10::date
      AND (
        "r"."end_date" IS NULL
        OR "r"."end_date" >= GREATEST($10::date, (now() AT TIME ZONE 'UTC')::date)
      )
      AND "r"."practice_ods" = ANY ($11::TEXT[])
      AND "r"."registration_type" = $12::text
    WHERE
      "pt"."deleted_at" IS NULL
      AND "pt"."pds_sensitive" IS FALSE
      AND "pt"."date_of_death" IS NULL
      AND NOT (
        EXISTS (
          SELECT
            1
          FROM
            "reporting"."opt_out" AS "o1"
          WHERE
            "o1"."patient_id" = "pt"."patient_id"
            AND "o1"."opt_out_type" = $13::text
            AND "o1"."effective_from" < (
              (
                GREATEST($10::date, (now() AT TIME ZONE 'UTC')::date) + 1
              )::timestamp AT TIME ZONE 'UTC'
            )
            AND (
              "o1"."effective_to" IS NULL
              OR "o1"."effective_to" > ($10::date::timestamp AT TIME ZONE 'UTC')
            )
        )
      )
  ),
  "population_base" AS (
    SELECT DISTINCT
      ON ("pt"."patient_id") "pt"."patient_id" AS "patient_id",
      "r"."practice_ods" AS "practice",
      "r"."registration_id" AS "registration_key_1",
      (
        EXISTS (
          SELECT
            1
          FROM
            "reporting"."opt_out" AS "o2"
          WHERE
            "o2"."patient_id" = "pt"."patient_id"
            AND "o2"."opt_out_type" = $13::text
            AND "o2"."effective_from" < (
              (
                GREATEST($10::date, (now() AT TIME ZONE 'UTC')::date) + 1
              )::timestamp AT TIME ZONE 'UTC'
            )
            AND (
              "o2"."effective_to" IS NULL
              OR "o2"."effective_to" > ($10::date::timestamp AT TIME ZONE 'UTC')
            )
        )
      ) AS "opted_out"
    FROM
      "reporting"."patient" AS "pt"
      INNER JOIN "reporting"."registration" AS "r" ON "r"."patient_id" = "pt"."patient_id"
      AND "r"."deleted_at" IS NULL
      AND "r"."start_date" <= $10::date
      AND (
        "r"."end_date" IS NULL
        OR "r"."end_date" >= GREATEST($10::date, (now() AT TIME ZONE 'UTC')::date)
      )
      AND "r"."practice_ods" = ANY ($11::TEXT[])
      AND "r"."registration_type" = $12::text
    WHERE
      "pt"."deleted_at" IS NULL
      AND "pt"."pds_sensitive" IS FALSE
      AND "pt"."date_of_death" IS NULL
      AND (
        (
          EXTRACT(
            YEAR
            FROM
              age (
                $10::date::timestamp,
                "pt"."date_of_birth"::timestamp
              )
          )
        )::integer < $14::bigint
      )
    ORDER BY
      "pt"."patient_id",
      ("r"."registration_type" = $12::text) DESC,
      "r"."start_date",
      "r"."registration_id"
  ),
  "population" AS (
    SELECT
      "b"."patient_id",
      "b"."practice",
      "b"."registration_key_1"
    FROM
      "population_base" AS "b"
    WHERE
      NOT "b"."opted_out"
  )
SELECT
  "s"."patient_id",
  "s"."practice",
  "s"."opted_out"
FROM
  "population_base" AS "s"
ORDER BY
  "s"."patient_id";

-- parameters of the plan (plan.json):
-- [
--   {
--     "name": "concept_999004351000000109",
--     "type": "bigint",
--     "source": "policy",
--     "meaning": "SNOMED CT concept 999004351000000109 |General practice summary data sharing exclusion for gender related issues simple reference set| (policy set gender_reassignment)",
--     "value": "999004351000000109"
--   },
--   {
--     "name": "concept_1955851000000101",
--     "type": "bigint",
--     "source": "policy",
--     "meaning": "SNOMED CT concept 1955851000000101 |National Health Service secondary use data exclusions due to Gender Recognition Act 2004 simple reference set| (policy set gender_reassignment)",
--     "value": "1955851000000101"
--   },
--   {
--     "name": "concept_118199002",
--     "type": "bigint",
--     "source": "policy",
--     "meaning": "SNOMED CT concept 118199002 |Finding relating to sexuality and sexual activity| (policy set sexuality)",
--     "value": "118199002"
--   },
--   {
--     "name": "concept_365957000",
--     "type": "bigint",
--     "source": "policy",
--     "meaning": "SNOMED CT concept 365957000 |Finding related to sexual relationship| (policy set sexuality)",
--     "value": "365957000"
--   },
--   {
--     "name": "concept_118200004",
--     "type": "bigint",
--     "source": "policy",
--     "meaning": "SNOMED CT concept 118200004 |Finding related to sexual state| (policy set sexuality)",
--     "value": "118200004"
--   },
--   {
--     "name": "concept_171023003",
--     "type": "bigint",
--     "source": "policy",
--     "meaning": "SNOMED CT concept 171023003 |Psychosexual counseling| (policy set sexuality)",
--     "value": "171023003"
--   },
--   {
--     "name": "concept_999004381000000103",
--     "type": "bigint",
--     "source": "policy",
--     "meaning": "SNOMED CT concept 999004381000000103 |General practice summary data sharing exclusion for sexually transmitted disease simple reference set| (policy set hiv_sti)",
--     "value": "999004381000000103"
--   },
--   {
--     "name": "concept_999004361000000107",
--     "type": "bigint",
--     "source": "policy",
--     "meaning": "SNOMED CT concept 999004361000000107 |General practice summary data sharing exclusion for termination of pregnancy simple reference set| (policy set termination_of_pregnancy)",
--     "value": "999004361000000107"
--   },
--   {
--     "name": "concept_999004371000000100",
--     "type": "bigint",
--     "source": "policy",
--     "meaning": "SNOMED CT concept 999004371000000100 |General practice summary data sharing exclusion for assisted fertilisation simple reference set| (policy set assisted_fertilisation)",
--     "value": "999004371000000100"
--   },
--   {
--     "name": "snapshot_date",
--     "type": "date",
--     "source": "run",
--     "meaning": "the snapshot date of the run (the extract date, UTC): today() and ages are judged on it, registrations must have started by it; deregistrations and opt-outs count from it up to the snapshot's own date"
--   },
--   {
--     "name": "practices",
--     "type": "text[]",
--     "source": "population",
--     "meaning": "the practices in scope (ODS codes)",
--     "value": [
--       "A81001",
--       "A81002"
--     ]
--   },
--   {
--     "name": "registration_type_permanent",
--     "type": "text",
--     "source": "catalogue",
--     "meaning": "the registration type that means a permanent registration (registration.registration_type)",
--     "value": "permanent"
--   },
--   {
--     "name": "opt_out_type1",
--     "type": "text",
--     "source": "catalogue",
--     "meaning": "the opt_out.opt_out_type value of a Type 1 opt-out",
--     "value": "type1"
--   },
--   {
--     "name": "literal_1",
--     "type": "bigint",
--     "source": "definition",
--     "meaning": "population WHERE: 20",
--     "value": "20",
--     "at": "definitions/chis-immunisations.exdef.yaml:40:37"
--   },
--   {
--     "name": "record_key",
--     "type": "text",
--     "source": "state",
--     "meaning": "the key that makes record ids opaque: made at each full baseline and kept with the delta state"
--   },
--   {
--     "name": "concept_33879002",
--     "type": "bigint",
--     "source": "definition",
--     "meaning": "SNOMED CT concept 33879002 |Administration of vaccine to produce active immunity| (dataset immunisations, WHERE)",
--     "value": "33879002"
--   }
-- ]
