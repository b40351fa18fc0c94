-- exdef compiled SQL for two-week-wait-audit version 1 (definitions/two-week-wait-audit.exdef.yaml). Do not edit: recompile with exdef compile.
-- fingerprint ca9665a0694e7905f0215dc1e7d6391df9ede1b744e2789c001f66ea5d568059
-- digest      e78d380526d46e6cef874e4f2306cfd62e2cbea2a76f790ccbc358a8e8113016
-- query: dataset referrals (from referral), full extract
-- columns: person_key (text), referral_month (date), target_service (text), reason_code (code), age_band (text), practice (text)
-- guards: population: registered on the snapshot date at A81001, A81002, A81003; permanent registrations only; the deceased excluded; PDS-sensitive patients never; Type 1 opt-outs respected; National Data Opt-outs respected
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
--   $11 practices text[] = {A81001, A81002, A81003}: the practices in scope (ODS codes)
--   $12 registration_type_permanent text = 'permanent': the registration type that means a permanent registration (registration.registration_type)
--   $13 opt_out_type1 text = 'type1': the opt_out.opt_out_type value of a Type 1 opt-out
--   $14 opt_out_national_data_opt_out text = 'national_data_opt_out': the opt_out.opt_out_type value of a National Data Opt-out
--   $15 key_tww-audit-key text given at run time (never written anywhere): pseudonym key 'tww-audit-key' (from the keys file given with --keys, or the environment variable EXDEF_KEY_TWW_AUDIT_KEY)
--   $16 sensitive_terms text = ' (abortion|artificial insemination|assisted conception|assis...': the policy's sensitive_terms of assisted_fertilisation, gender_reassignment, hiv_sti, sexuality, termination_of_pregnancy, as a pattern of whole words
--   $17 sensitive_phrases text = '(artificialinsemination|assistedconception|assistedfertilisa...': the policy's sensitive_terms of assisted_fertilisation, gender_reassignment, hiv_sti, sexuality, termination_of_pregnancy of several words, written without their spaces
--   $18 literal_1 text = 'two_week_wait': dataset referrals, WHERE: 'two_week_wait' [definitions/two-week-wait-audit.exdef.yaml:63:17]
--   $19 literal_2 interval = '12 months': dataset referrals, WHERE: interval '12 months' [definitions/two-week-wait-audit.exdef.yaml:64:38]
--   $20 concept_363346000 bigint = 363346000: SNOMED CT concept 363346000 |Malignant neoplastic disease| (dataset referrals, WHERE)

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
        OR EXISTS (
          SELECT
            1
          FROM
            "reporting"."opt_out" AS "o2"
          WHERE
            "o2"."patient_id" = "pt"."patient_id"
            AND "o2"."opt_out_type" = $14::text
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
            "reporting"."opt_out" AS "o3"
          WHERE
            "o3"."patient_id" = "pt"."patient_id"
            AND "o3"."opt_out_type" = $13::text
            AND "o3"."effective_from" < (
              (
                GREATEST($10::date, (now() AT TIME ZONE 'UTC')::date) + 1
              )::timestamp AT TIME ZONE 'UTC'
            )
            AND (
              "o3"."effective_to" IS NULL
              OR "o3"."effective_to" > ($10::date::timestamp AT TIME ZONE 'UTC')
            )
        )
        OR EXISTS (
          SELECT
            1
          FROM
            "reporting"."opt_out" AS "o4"
          WHERE
            "o4"."patient_id" = "pt"."patient_id"
            AND "o4"."opt_out_type" = $14::text
            AND "o4"."effective_from" < (
              (
                GREATEST($10::date, (now() AT TIME ZONE 'UTC')::date) + 1
              )::timestamp AT TIME ZONE 'UTC'
            )
            AND (
              "o4"."effective_to" IS NULL
              OR "o4"."effective_to" > ($10::date::timestamp AT TIME ZONE 'UTC')
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
  encode(
    hmac (
      convert_to(("j1"."nhs_number")::text, 'UTF8'),
      convert_to($15::text, 'UTF8'),
      'sha256'
    ),
    'hex'
  ) AS "person_key",
  to_char(
    (
      date_trunc('month', "t"."referral_date"::timestamp)
    )::date,
    'YYYY-MM-DD'
  ) AS "referral_month",
  "t"."target_service" AS "target_service",
  ("t"."code")::text AS "reason_code",
  (
    CASE
      WHEN (
        EXTRACT(
          YEAR
          FROM
            age (
              $10::date::timestamp,
              "j1"."date_of_birth"::timestamp
            )
        )
      )::integer IS NULL THEN NULL
      WHEN (
        EXTRACT(
          YEAR
          FROM
            age (
              $10::date::timestamp,
              "j1"."date_of_birth"::timestamp
            )
        )
      )::integer >= 90 THEN '90+'
      ELSE (
        (
          EXTRACT(
            YEAR
            FROM
              age (
                $10::date::timestamp,
                "j1"."date_of_birth"::timestamp
              )
          )
        )::integer / 5 * 5
      )::text || '-' || LEAST(
        (
          (
            EXTRACT(
              YEAR
              FROM
                age (
                  $10::date::timestamp,
                  "j1"."date_of_birth"::timestamp
                )
            )
          )::integer / 5 * 5
        ) + 5 - 1,
        89
      )::text
    END
  ) AS "age_band",
  "t"."practice_ods" AS "practice"
FROM
  "reporting"."referral" AS "t"
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
  AND NOT COALESCE(
    "t"."code" IN (
      SELECT
        "code"
      FROM
        "sensitive_codes"
    ),
    FALSE
  )
  AND NOT COALESCE(
    (
      (
        (
          ' ' || regexp_replace(
            regexp_replace(
              lower(
                translate(
                  normalize("t"."target_service", NFKD),
                  'АВЕЅІЈКМНОРСТУХҮҺԚԜавеѕіјкмнорстухүһԁԛԝɡΑΒΕΖΗΙΚΜΝΟΡΤΥΧαβγεηικνορτυχω',
                  'ABESIJKMHOPCTYXYHQWabesijkmhopctyxyhdqwgABEZHIKMNOPTYXabyenikvoptuxw'
                )
              ),
              '[\u0300-\u036f\u00ad\u034f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]+',
              '',
              'g'
            ),
            '[^a-z0-9]+',
            ' ',
            'g'
          ) || ' '
        ) ~ $16::text
        OR regexp_replace(
          regexp_replace(
            lower(
              translate(
                normalize("t"."target_service", NFKD),
                'АВЕЅІЈКМНОРСТУХҮҺԚԜавеѕіјкмнорстухүһԁԛԝɡΑΒΕΖΗΙΚΜΝΟΡΤΥΧαβγεηικνορτυχω',
                'ABESIJKMHOPCTYXYHQWabesijkmhopctyxyhdqwgABEZHIKMNOPTYXabyenikvoptuxw'
              )
            ),
            '[\u0300-\u036f\u00ad\u034f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]+',
            '',
            'g'
          ),
          '[^a-z0-9]+',
          '',
          'g'
        ) ~ $17::text
      )
      OR regexp_replace(
        lower(
          translate(
            normalize("t"."target_service", NFKD),
            'АВЕЅІЈКМНОРСТУХҮҺԚԜавеѕіјкмнорстухүһԁԛԝɡΑΒΕΖΗΙΚΜΝΟΡΤΥΧαβγεηικνορτυχω',
            'ABESIJKMHOPCTYXYHQWabesijkmhopctyxyhdqwgABEZHIKMNOPTYXabyenikvoptuxw'
          )
        ),
        '[\u0300-\u036f\u00ad\u034f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]+',
        '',
        'g'
      ) ~ '[\u00c0-\u1fff\u2c00-\u2dff\ua640-\uabff]'
    ),
    FALSE
  )
  AND (
    (
      ("t"."urgency" = $18::text)
      AND (
        "t"."referral_date" >= (($10::date - $19::interval))::date
      )
    )
    AND (
      "t"."code" IN (
        SELECT
          "c1"."descendant_id"
        FROM
          "terminology"."closure" AS "c1"
        WHERE
          "c1"."ancestor_id" IN ($20::bigint)
      )
    )
  )
ORDER BY
  "t"."referral_id";

-- exdef compiled SQL for two-week-wait-audit version 1 (definitions/two-week-wait-audit.exdef.yaml). Do not edit: recompile with exdef compile.
-- fingerprint ca9665a0694e7905f0215dc1e7d6391df9ede1b744e2789c001f66ea5d568059
-- digest      e78d380526d46e6cef874e4f2306cfd62e2cbea2a76f790ccbc358a8e8113016
-- query: dataset referrals (from referral), k-anonymity: the smallest number of patients sharing one combination of age_band (columns k, groups)
-- guards: population: registered on the snapshot date at A81001, A81002, A81003; permanent registrations only; the deceased excluded; PDS-sensitive patients never; Type 1 opt-outs respected; National Data Opt-outs respected
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
--   $11 practices text[] = {A81001, A81002, A81003}: the practices in scope (ODS codes)
--   $12 registration_type_permanent text = 'permanent': the registration type that means a permanent registration (registration.registration_type)
--   $13 opt_out_type1 text = 'type1': the opt_out.opt_out_type value of a Type 1 opt-out
--   $14 opt_out_national_data_opt_out text = 'national_data_opt_out': the opt_out.opt_out_type value of a National Data Opt-out
--   $15 sensitive_terms text = ' (abortion|artificial insemination|assisted conception|assis...': the policy's sensitive_terms of assisted_fertilisation, gender_reassignment, hiv_sti, sexuality, termination_of_pregnancy, as a pattern of whole words
--   $16 sensitive_phrases text = '(artificialinsemination|assistedconception|assistedfertilisa...': the policy's sensitive_terms of assisted_fertilisation, gender_reassignment, hiv_sti, sexuality, termination_of_pregnancy of several words, written without their spaces
--   $17 literal_1 text = 'two_week_wait': dataset referrals, WHERE: 'two_week_wait' [definitions/two-week-wait-audit.exdef.yaml:63:17]
--   $18 literal_2 interval = '12 months': dataset referrals, WHERE: interval '12 months' [definitions/two-week-wait-audit.exdef.yaml:64:38]
--   $19 concept_363346000 bigint = 363346000: SNOMED CT concept 363346000 |Malignant neoplastic disease| (dataset referrals, WHERE)

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
        OR EXISTS (
          SELECT
            1
          FROM
            "reporting"."opt_out" AS "o2"
          WHERE
            "o2"."patient_id" = "pt"."patient_id"
            AND "o2"."opt_out_type" = $14::text
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
            "reporting"."opt_out" AS "o3"
          WHERE
            "o3"."patient_id" = "pt"."patient_id"
            AND "o3"."opt_out_type" = $13::text
            AND "o3"."effective_from" < (
              (
                GREATEST($10::date, (now() AT TIME ZONE 'UTC')::date) + 1
              )::timestamp AT TIME ZONE 'UTC'
            )
            AND (
              "o3"."effective_to" IS NULL
              OR "o3"."effective_to" > ($10::date::timestamp AT TIME ZONE 'UTC')
            )
        )
        OR EXISTS (
          SELECT
            1
          FROM
            "reporting"."opt_out" AS "o4"
          WHERE
            "o4"."patient_id" = "pt"."patient_id"
            AND "o4"."opt_out_type" = $14::text
            AND "o4"."effective_from" < (
              (
                GREATEST($10::date, (now() AT TIME ZONE 'UTC')::date) + 1
              )::timestamp AT TIME ZONE 'UTC'
            )
            AND (
              "o4"."effective_to" IS NULL
              OR "o4"."effective_to" > ($10::date::timestamp AT TIME ZONE 'UTC')
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
          (
            CASE
              WHEN (
                EXTRACT(
                  YEAR
                  FROM
                    age (
                      $10::date::timestamp,
                      "j1"."date_of_birth"::timestamp
                    )
                )
              )::integer IS NULL THEN NULL
              WHEN (
                EXTRACT(
                  YEAR
                  FROM
                    age (
                      $10::date::timestamp,
                      "j1"."date_of_birth"::timestamp
                    )
                )
              )::integer >= 90 THEN '90+'
              ELSE (
                (
                  EXTRACT(
                    YEAR
                    FROM
                      age (
                        $10::date::timestamp,
                        "j1"."date_of_birth"::timestamp
                      )
                  )
                )::integer / 5 * 5
              )::text || '-' || LEAST(
                (
                  (
                    EXTRACT(
                      YEAR
                      FROM
                        age (
                          $10::date::timestamp,
                          "j1"."date_of_birth"::timestamp
                        )
                    )
                  )::integer / 5 * 5
                ) + 5 - 1,
                89
              )::text
            END
          ) AS "q1"
        FROM
          "reporting"."referral" AS "t"
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
          AND NOT COALESCE(
            "t"."code" IN (
              SELECT
                "code"
              FROM
                "sensitive_codes"
            ),
            FALSE
          )
          AND NOT COALESCE(
            (
              (
                (
                  ' ' || regexp_replace(
                    regexp_replace(
                      lower(
                        translate(
                          normalize("t"."target_service", NFKD),
                          'АВЕЅІЈКМНОРСТУХҮҺԚԜавеѕіјкмнорстухүһԁԛԝɡΑΒΕΖΗΙΚΜΝΟΡΤΥΧαβγεηικνορτυχω',
                          'ABESIJKMHOPCTYXYHQWabesijkmhopctyxyhdqwgABEZHIKMNOPTYXabyenikvoptuxw'
                        )
                      ),
                      '[\u0300-\u036f\u00ad\u034f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]+',
                      '',
                      'g'
                    ),
                    '[^a-z0-9]+',
                    ' ',
                    'g'
                  ) || ' '
                ) ~ $15::text
                OR regexp_replace(
                  regexp_replace(
                    lower(
                      translate(
                        normalize("t"."target_service", NFKD),
                        'АВЕЅІЈКМНОРСТУХҮҺԚԜавеѕіјкмнорстухүһԁԛԝɡΑΒΕΖΗΙΚΜΝΟΡΤΥΧαβγεηικνορτυχω',
                        'ABESIJKMHOPCTYXYHQWabesijkmhopctyxyhdqwgABEZHIKMNOPTYXabyenikvoptuxw'
                      )
                    ),
                    '[\u0300-\u036f\u00ad\u034f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]+',
                    '',
                    'g'
                  ),
                  '[^a-z0-9]+',
                  '',
                  'g'
                ) ~ $16::text
              )
              OR regexp_replace(
                lower(
                  translate(
                    normalize("t"."target_service", NFKD),
                    'АВЕЅІЈКМНОРСТУХҮҺԚԜавеѕіјкмнорстухүһԁԛԝɡΑΒΕΖΗΙΚΜΝΟΡΤΥΧαβγεηικνορτυχω',
                    'ABESIJKMHOPCTYXYHQWabesijkmhopctyxyhdqwgABEZHIKMNOPTYXabyenikvoptuxw'
                  )
                ),
                '[\u0300-\u036f\u00ad\u034f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]+',
                '',
                'g'
              ) ~ '[\u00c0-\u1fff\u2c00-\u2dff\ua640-\uabff]'
            ),
            FALSE
          )
          AND (
            (
              ("t"."urgency" = $17::text)
              AND (
                "t"."referral_date" >= (($10::date - $18::interval))::date
              )
            )
            AND (
              "t"."code" IN (
                SELECT
                  "c1"."descendant_id"
                FROM
                  "terminology"."closure" AS "c1"
                WHERE
                  "c1"."ancestor_id" IN ($19::bigint)
              )
            )
          )
      ) AS "r"
    GROUP BY
      "r"."q1"
  ) AS "g";

-- exdef compiled SQL for two-week-wait-audit version 1 (definitions/two-week-wait-audit.exdef.yaml). Do not edit: recompile with exdef compile.
-- fingerprint ca9665a0694e7905f0215dc1e7d6391df9ede1b744e2789c001f66ea5d568059
-- digest      e78d380526d46e6cef874e4f2306cfd62e2cbea2a76f790ccbc358a8e8113016
-- query: the population (every patient of it, their practice and whether an opt-out leaves them out)
-- guards: population: registered on the snapshot date at A81001, A81002, A81003; permanent registrations only; the deceased excluded; PDS-sensitive patients never; Type 1 opt-outs respected; National Data Opt-outs respected
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
--   $11 practices text[] = {A81001, A81002, A81003}: the practices in scope (ODS codes)
--   $12 registration_type_permanent text = 'permanent': the registration type that means a permanent registration (registration.registration_type)
--   $13 opt_out_type1 text = 'type1': the opt_out.opt_out_type value of a Type 1 opt-out
--   $14 opt_out_national_data_opt_out text = 'national_data_opt_out': the opt_out.opt_out_type value of a National Data Opt-out

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
        OR EXISTS (
          SELECT
            1
          FROM
            "reporting"."opt_out" AS "o2"
          WHERE
            "o2"."patient_id" = "pt"."patient_id"
            AND "o2"."opt_out_type" = $14::text
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
            "reporting"."opt_out" AS "o3"
          WHERE
            "o3"."patient_id" = "pt"."patient_id"
            AND "o3"."opt_out_type" = $13::text
            AND "o3"."effective_from" < (
              (
                GREATEST($10::date, (now() AT TIME ZONE 'UTC')::date) + 1
              )::timestamp AT TIME ZONE 'UTC'
            )
            AND (
              "o3"."effective_to" IS NULL
              OR "o3"."effective_to" > ($10::date::timestamp AT TIME ZONE 'UTC')
            )
        )
        OR EXISTS (
          SELECT
            1
          FROM
            "reporting"."opt_out" AS "o4"
          WHERE
            "o4"."patient_id" = "pt"."patient_id"
            AND "o4"."opt_out_type" = $14::text
            AND "o4"."effective_from" < (
              (
                GREATEST($10::date, (now() AT TIME ZONE 'UTC')::date) + 1
              )::timestamp AT TIME ZONE 'UTC'
            )
            AND (
              "o4"."effective_to" IS NULL
              OR "o4"."effective_to" > ($10::date::timestamp AT TIME ZONE 'UTC')
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
--       "A81002",
--       "A81003"
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
--     "name": "opt_out_national_data_opt_out",
--     "type": "text",
--     "source": "catalogue",
--     "meaning": "the opt_out.opt_out_type value of a National Data Opt-out",
--     "value": "national_data_opt_out"
--   },
--   {
--     "name": "key_tww-audit-key",
--     "type": "text",
--     "source": "key",
--     "meaning": "pseudonym key 'tww-audit-key' (from the keys file given with --keys, or the environment variable EXDEF_KEY_TWW_AUDIT_KEY)"
--   },
--   {
--     "name": "literal_1",
--     "type": "text",
--     "source": "definition",
--     "meaning": "dataset referrals, WHERE: 'two_week_wait'",
--     "value": "two_week_wait",
--     "at": "definitions/two-week-wait-audit.exdef.yaml:63:17"
--   },
--   {
--     "name": "literal_2",
--     "type": "interval",
--     "source": "definition",
--     "meaning": "dataset referrals, WHERE: interval '12 months'",
--     "value": "12 months",
--     "at": "definitions/two-week-wait-audit.exdef.yaml:64:38"
--   },
--   {
--     "name": "concept_363346000",
--     "type": "bigint",
--     "source": "definition",
--     "meaning": "SNOMED CT concept 363346000 |Malignant neoplastic disease| (dataset referrals, WHERE)",
--     "value": "363346000"
--   },
--   {
--     "name": "sensitive_terms",
--     "type": "text",
--     "source": "policy",
--     "meaning": "the policy's sensitive_terms of assisted_fertilisation, gender_reassignment, hiv_sti, sexuality, termination_of_pregnancy, as a pattern of whole words",
--     "value": " (abortion|artificial insemination|assisted conception|assisted fertilisation|bpas|fertility|fertility clinic|gender clinic|gender dysphoria|gender identity|gender identity clinic|gender reassignment|gender service|genitourinary|genitourinary medicine|gum|gum clinic|hiv|hiv clinic|in vitro fertilisation|in vitro fertilization|ivf|pregnancy advisory|pregnancy advisory service|prep|prep clinic|psychosexual|psychosexual counselling|sexual and reproductive health|sexual health|sexual health clinic|sexual orientation|sexual wellbeing|sexuality|sexually transmitted|srh|std clinic|sti clinic|termination|termination of pregnancy|top clinic|top service|trans health|transgender|transsexual) "
--   },
--   {
--     "name": "sensitive_phrases",
--     "type": "text",
--     "source": "policy",
--     "meaning": "the policy's sensitive_terms of assisted_fertilisation, gender_reassignment, hiv_sti, sexuality, termination_of_pregnancy of several words, written without their spaces",
--     "value": "(artificialinsemination|assistedconception|assistedfertilisation|fertilityclinic|genderclinic|genderdysphoria|genderidentity|genderidentityclinic|genderreassignment|genderservice|genitourinarymedicine|gumclinic|hivclinic|invitrofertilisation|invitrofertilization|pregnancyadvisory|pregnancyadvisoryservice|prepclinic|psychosexualcounselling|sexualandreproductivehealth|sexualhealth|sexualhealthclinic|sexualorientation|sexualwellbeing|sexuallytransmitted|stdclinic|sticlinic|terminationofpregnancy|topclinic|topservice|transhealth)"
--   }
-- ]
