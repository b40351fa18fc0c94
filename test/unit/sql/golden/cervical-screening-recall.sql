-- exdef compiled SQL for cervical-screening-recall version 1 (definitions/cervical-screening-recall.exdef.yaml). Do not edit: recompile with exdef compile.
-- fingerprint a451b63b7f36a9a6cce33d10fdba7330b2e04d391c67445d58a16e1baf0d38c8
-- digest      e0dc4ac734f236852ba0f4438da8009fa28f6d16b9d8ebb29b1d4cd96d569099
-- query: dataset due_for_screening (from patient), full extract
-- columns: nhs_number (text), given_name (text), family_name (text), address (text), postcode (text), mobile (text), previously_screened (boolean)
-- guards: population: registered on the snapshot date at A81002; permanent registrations only; the deceased excluded; PDS-sensitive patients never; Type 1 opt-outs overridden; National Data Opt-out not applicable
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
--   $11 practices text[] = {A81002}: the practices in scope (ODS codes)
--   $12 registration_type_permanent text = 'permanent': the registration type that means a permanent registration (registration.registration_type)
--   $13 literal_1 text = 'female': population WHERE: 'female' [definitions/cervical-screening-recall.exdef.yaml:44:16]
--   $14 literal_2 bigint = 25: population WHERE: 25 [definitions/cervical-screening-recall.exdef.yaml:44:62]
--   $15 literal_3 bigint = 64: population WHERE: 64 [definitions/cervical-screening-recall.exdef.yaml:44:69]
--   $16 concept_171149006 bigint = 171149006: SNOMED CT concept 171149006 |Screening for malignant neoplasm of cervix| (dataset due_for_screening, field previously_screened, exists(observations))
--   $17 literal_4 interval = '3 years': dataset due_for_screening, WHERE, exists(observations): interval '3 years' [definitions/cervical-screening-recall.exdef.yaml:64:49]

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
      AND NOT FALSE
  ),
  "population_base" AS (
    SELECT DISTINCT
      ON ("pt"."patient_id") "pt"."patient_id" AS "patient_id",
      "r"."practice_ods" AS "practice",
      "r"."registration_id" AS "registration_key_1",
      FALSE AS "opted_out"
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
        ("pt"."sex" = $13::text)
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
          )::integer BETWEEN $14::bigint AND $15::bigint
        )
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
  "t"."given_name" AS "given_name",
  "t"."family_name" AS "family_name",
  "t"."address_line" AS "address",
  "t"."postcode" AS "postcode",
  "t"."phone" AS "mobile",
  (
    CASE
      WHEN (
        EXISTS (
          SELECT
            1 AS "found"
          FROM
            "reporting"."observation" AS "e1"
          WHERE
            "e1"."patient_id" = "t"."patient_id"
            AND "e1"."patient_id" IN (
              SELECT
                "patient_id"
              FROM
                "population"
            )
            AND "e1"."practice_ods" = ANY ($11::TEXT[])
            AND "e1"."deleted_at" IS NULL
            AND "e1"."confidential" IS FALSE
            AND NOT EXISTS (
              SELECT
                1
              FROM
                "reporting"."consultation" AS "e1_consultation"
              WHERE
                "e1_consultation"."consultation_id" = "e1"."consultation_id"
                AND "e1_consultation"."confidential" IS NOT FALSE
            )
            AND NOT COALESCE(
              "e1"."code" IN (
                SELECT
                  "code"
                FROM
                  "sensitive_codes"
              ),
              FALSE
            )
            AND (
              "e1"."code" IN (
                SELECT
                  "c1"."descendant_id"
                FROM
                  "terminology"."closure" AS "c1"
                WHERE
                  "c1"."ancestor_id" IN ($16::bigint)
              )
            )
        )
      ) THEN 'true'
      WHEN NOT (
        EXISTS (
          SELECT
            1 AS "found"
          FROM
            "reporting"."observation" AS "e1"
          WHERE
            "e1"."patient_id" = "t"."patient_id"
            AND "e1"."patient_id" IN (
              SELECT
                "patient_id"
              FROM
                "population"
            )
            AND "e1"."practice_ods" = ANY ($11::TEXT[])
            AND "e1"."deleted_at" IS NULL
            AND "e1"."confidential" IS FALSE
            AND NOT EXISTS (
              SELECT
                1
              FROM
                "reporting"."consultation" AS "e1_consultation"
              WHERE
                "e1_consultation"."consultation_id" = "e1"."consultation_id"
                AND "e1_consultation"."confidential" IS NOT FALSE
            )
            AND NOT COALESCE(
              "e1"."code" IN (
                SELECT
                  "code"
                FROM
                  "sensitive_codes"
              ),
              FALSE
            )
            AND (
              "e1"."code" IN (
                SELECT
                  "c1"."descendant_id"
                FROM
                  "terminology"."closure" AS "c1"
                WHERE
                  "c1"."ancestor_id" IN ($16::bigint)
              )
            )
        )
      ) THEN 'false'
    END
  ) AS "previously_screened"
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
  AND (
    NOT (
      EXISTS (
        SELECT
          1 AS "found"
        FROM
          "reporting"."observation" AS "e2"
        WHERE
          "e2"."patient_id" = "t"."patient_id"
          AND "e2"."patient_id" IN (
            SELECT
              "patient_id"
            FROM
              "population"
          )
          AND "e2"."practice_ods" = ANY ($11::TEXT[])
          AND "e2"."deleted_at" IS NULL
          AND "e2"."confidential" IS FALSE
          AND NOT EXISTS (
            SELECT
              1
            FROM
              "reporting"."consultation" AS "e2_consultation"
            WHERE
              "e2_consultation"."consultation_id" = "e2"."consultation_id"
              AND "e2_consultation"."confidential" IS NOT FALSE
          )
          AND NOT COALESCE(
            "e2"."code" IN (
              SELECT
                "code"
              FROM
                "sensitive_codes"
            ),
            FALSE
          )
          AND (
            (
              "e2"."code" IN (
                SELECT
                  "c2"."descendant_id"
                FROM
                  "terminology"."closure" AS "c2"
                WHERE
                  "c2"."ancestor_id" IN ($16::bigint)
              )
            )
            AND (
              "e2"."effective_date" > (($10::date - $17::interval))::date
            )
          )
      )
    )
  )
ORDER BY
  "t"."patient_id";

-- exdef compiled SQL for cervical-screening-recall version 1 (definitions/cervical-screening-recall.exdef.yaml). Do not edit: recompile with exdef compile.
-- fingerprint a451b63b7f36a9a6cce33d10fdba7330b2e04d391c67445d58a16e1baf0d38c8
-- digest      e0dc4ac734f236852ba0f4438da8009fa28f6d16b9d8ebb29b1d4cd96d569099
-- query: dataset due_for_screening (from patient), k-anonymity: the smallest number of patients sharing one combination of nhs_number, given_name, family_name, address, postcode, mobile (columns k, groups)
-- guards: population: registered on the snapshot date at A81002; permanent registrations only; the deceased excluded; PDS-sensitive patients never; Type 1 opt-outs overridden; National Data Opt-out not applicable
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
--   $11 practices text[] = {A81002}: the practices in scope (ODS codes)
--   $12 registration_type_permanent text = 'permanent': the registration type that means a permanent registration (registration.registration_type)
--   $13 literal_1 text = 'female': population WHERE: 'female' [definitions/cervical-screening-recall.exdef.yaml:44:16]
--   $14 literal_2 bigint = 25: population WHERE: 25 [definitions/cervical-screening-recall.exdef.yaml:44:62]
--   $15 literal_3 bigint = 64: population WHERE: 64 [definitions/cervical-screening-recall.exdef.yaml:44:69]
--   $16 concept_171149006 bigint = 171149006: SNOMED CT concept 171149006 |Screening for malignant neoplasm of cervix| (dataset due_for_screening, field previously_screened, exists(observations))
--   $17 literal_4 interval = '3 years': dataset due_for_screening, WHERE, exists(observations): interval '3 years' [definitions/cervical-screening-recall.exdef.yaml:64:49]

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
      AND NOT FALSE
  ),
  "population_base" AS (
    SELECT DISTINCT
      ON ("pt"."patient_id") "pt"."patient_id" AS "patient_id",
      "r"."practice_ods" AS "practice",
      "r"."registration_id" AS "registration_key_1",
      FALSE AS "opted_out"
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
        ("pt"."sex" = $13::text)
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
          )::integer BETWEEN $14::bigint AND $15::bigint
        )
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
          "t"."given_name" AS "q2",
          "t"."family_name" AS "q3",
          "t"."address_line" AS "q4",
          "t"."postcode" AS "q5",
          "t"."phone" AS "q6"
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
          AND (
            NOT (
              EXISTS (
                SELECT
                  1 AS "found"
                FROM
                  "reporting"."observation" AS "e1"
                WHERE
                  "e1"."patient_id" = "t"."patient_id"
                  AND "e1"."patient_id" IN (
                    SELECT
                      "patient_id"
                    FROM
                      "population"
                  )
                  AND "e1"."practice_ods" = ANY ($11::TEXT[])
                  AND "e1"."deleted_at" IS NULL
                  AND "e1"."confidential" IS FALSE
                  AND NOT EXISTS (
                    SELECT
                      1
                    FROM
                      "reporting"."consultation" AS "e1_consultation"
                    WHERE
                      "e1_consultation"."consultation_id" = "e1"."consultation_id"
                      AND "e1_consultation"."confidential" IS NOT FALSE
                  )
                  AND NOT COALESCE(
                    "e1"."code" IN (
                      SELECT
                        "code"
                      FROM
                        "sensitive_codes"
                    ),
                    FALSE
                  )
                  AND (
                    (
                      "e1"."code" IN (
                        SELECT
                          "c1"."descendant_id"
                        FROM
                          "terminology"."closure" AS "c1"
                        WHERE
                          "c1"."ancestor_id" IN ($16::bigint)
                      )
                    )
                    AND (
                      "e1"."effective_date" > (($10::date - $17::interval))::date
                    )
                  )
              )
            )
          )
      ) AS "r"
    GROUP BY
      "r"."q1",
      "r"."q2",
      "r"."q3",
      "r"."q4",
      "r"."q5",
      "r"."q6"
  ) AS "g";

-- exdef compiled SQL for cervical-screening-recall version 1 (definitions/cervical-screening-recall.exdef.yaml). Do not edit: recompile with exdef compile.
-- fingerprint a451b63b7f36a9a6cce33d10fdba7330b2e04d391c67445d58a16e1baf0d38c8
-- digest      e0dc4ac734f236852ba0f4438da8009fa28f6d16b9d8ebb29b1d4cd96d569099
-- query: the population (every patient of it, their practice and whether an opt-out leaves them out)
-- guards: population: registered on the snapshot date at A81002; permanent registrations only; the deceased excluded; PDS-sensitive patients never; Type 1 opt-outs overridden; National Data Opt-out not applicable
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
--   $11 practices text[] = {A81002}: the practices in scope (ODS codes)
--   $12 registration_type_permanent text = 'permanent': the registration type that means a permanent registration (registration.registration_type)
--   $13 literal_1 text = 'female': population WHERE: 'female' [definitions/cervical-screening-recall.exdef.yaml:44:16]
--   $14 literal_2 bigint = 25: population WHERE: 25 [definitions/cervical-screening-recall.exdef.yaml:44:62]
--   $15 literal_3 bigint = 64: population WHERE: 64 [definitions/cervical-screening-recall.exdef.yaml:44:69]

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
      AND NOT FALSE
  ),
  "population_base" AS (
    SELECT DISTINCT
      ON ("pt"."patient_id") "pt"."patient_id" AS "patient_id",
      "r"."practice_ods" AS "practice",
      "r"."registration_id" AS "registration_key_1",
      FALSE AS "opted_out"
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
        ("pt"."sex" = $13::text)
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
          )::integer BETWEEN $14::bigint AND $15::bigint
        )
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
--     "name": "literal_1",
--     "type": "text",
--     "source": "definition",
--     "meaning": "population WHERE: 'female'",
--     "value": "female",
--     "at": "definitions/cervical-screening-recall.exdef.yaml:44:16"
--   },
--   {
--     "name": "literal_2",
--     "type": "bigint",
--     "source": "definition",
--     "meaning": "population WHERE: 25",
--     "value": "25",
--     "at": "definitions/cervical-screening-recall.exdef.yaml:44:62"
--   },
--   {
--     "name": "literal_3",
--     "type": "bigint",
--     "source": "definition",
--     "meaning": "population WHERE: 64",
--     "value": "64",
--     "at": "definitions/cervical-screening-recall.exdef.yaml:44:69"
--   },
--   {
--     "name": "concept_171149006",
--     "type": "bigint",
--     "source": "definition",
--     "meaning": "SNOMED CT concept 171149006 |Screening for malignant neoplasm of cervix| (dataset due_for_screening, field previously_screened, exists(observations))",
--     "value": "171149006"
--   },
--   {
--     "name": "literal_4",
--     "type": "interval",
--     "source": "definition",
--     "meaning": "dataset due_for_screening, WHERE, exists(observations): interval '3 years'",
--     "value": "3 years",
--     "at": "definitions/cervical-screening-recall.exdef.yaml:64:49"
--   }
-- ]
