/**
 * What synthetic records are made of. Every code here is a concept of the shipped sample
 * terminology (a test checks it), so that code-set filters and sensitive-code guards have real
 * hierarchies and refsets to work on.
 */
export const CODES = {
  diabetesType1: '46635009',
  diabetesType2: '44054006',
  diabetesType2Uncomplicated: '313436004',
  hypertension: '38341003',
  essentialHypertension: '59621000',
  asthma: '195967001',
  childhoodAsthma: '233678006',
  copd: '13645005',
  heartFailure: '84114007',
  myocardialInfarction: '22298006',
  obesity: '414916001',
  breastCancer: '254837009',
  colonCancer: '363406005',
  malignancy: '363346000',
  infectiousDisease: '40733004',
  smoker: '77176002',
  lightSmoker: '160603005',
  exSmoker: '8517006',
  neverSmoked: '266919005',
  hba1c: '43396009',
  systolic: '271649006',
  diastolic: '271650006',
  bodyWeight: '27113001',
  bodyHeight: '50373000',
  bmi: '60621009',
  fluVaccination: '86198006',
  mmr: '38598009',
  sixInOneFirst: '999900071000000104',
  sixInOneSecond: '999900081000000102',
  menB: '999900091000000100',
  cervicalScreeningNegative: '999900111000000105',
  cervicalScreeningAbnormal: '999900121000000104',
} as const;

/**
 * Codes that the policy's sensitive sets contain, by category (seed 002): planted so that every
 * guard has rows to exclude.
 */
export const SENSITIVE_CODES = {
  gender: ['93461009', '407377005', '407376001', '407374003'],
  sexuality: ['38628009', '42035005', '999900041000000105', '999900051000000108', '999900061000000106', '999900131000000102'],
  sti: ['86406008', '62479008', '165816005', '105629000', '15628003', '76272004'],
  termination: ['714812005', '285409006'],
  fertility: ['52637005', '63487001'],
} as const;
export type SensitiveCategory = keyof typeof SENSITIVE_CODES;

export const MEDICATIONS = {
  metformin: { code: '999900151000000109', unit: 'tablet', quantity: 56, dosage: 'Take ONE tablet TWICE a day with food' },
  ramipril: { code: '999900161000000107', unit: 'capsule', quantity: 28, dosage: 'Take ONE capsule ONCE a day' },
  amlodipine: { code: '999900181000000103', unit: 'tablet', quantity: 28, dosage: 'Take ONE tablet ONCE a day' },
  atorvastatin: { code: '999900191000000101', unit: 'tablet', quantity: 28, dosage: 'Take ONE tablet at NIGHT' },
  salbutamol: { code: '999900171000000100', unit: 'inhaler', quantity: 1, dosage: 'Inhale TWO puffs when required for breathlessness' },
  paracetamol: { code: '999900211000000102', unit: 'tablet', quantity: 32, dosage: 'Take TWO tablets up to FOUR times a day' },
  /** Antiretroviral: a member of the sexually transmitted disease exclusion refset. */
  antiretroviral: { code: '999900221000000108', unit: 'tablet', quantity: 30, dosage: 'Take ONE tablet ONCE a day' },
} as const;

export const ETHNICITY_CODES: readonly (readonly [string, number])[] = [
  ['999900231000000105', 78],
  ['999900241000000101', 7],
  ['999900251000000103', 4],
  ['999900261000000100', 3],
  ['999900271000000107', 2],
  ['999900281000000109', 6],
];

export const GIVEN_NAMES = {
  female: ['Olivia', 'Amelia', 'Isla', 'Ava', 'Mia', 'Ivy', 'Lily', 'Grace', 'Sophia', 'Freya', 'Emily', 'Ella', 'Poppy', 'Aisha', 'Zara', 'Margaret', 'Susan', 'Linda', 'Patricia', 'Jean', 'Sarah', 'Karen', 'Joanne', 'Priya', 'Fatima'],
  male: ['Oliver', 'George', 'Noah', 'Arthur', 'Leo', 'Muhammad', 'Harry', 'Oscar', 'Jack', 'Charlie', 'Thomas', 'Jacob', 'Alfie', 'David', 'John', 'Michael', 'Peter', 'Robert', 'Paul', 'Mark', 'Andrew', 'Stephen', 'Ravi', 'Tomasz', 'Kwame'],
  other: ['Alex', 'Sam', 'Charlie', 'Jordan', 'Robin', 'Jamie'],
};

export const FAMILY_NAMES = [
  'Smith', 'Jones', 'Taylor', 'Brown', 'Williams', 'Wilson', 'Johnson', 'Davies', 'Patel', 'Robinson', 'Wright', 'Thompson',
  'Evans', 'Walker', 'White', 'Roberts', 'Green', 'Hall', 'Wood', 'Jackson', 'Clarke', 'Khan', 'Hughes', 'Edwards', 'Turner',
  "O'Brien", 'Nowak', 'Okafor', 'Singh', 'Ahmed', 'Murphy', 'Lee', 'Harrison', 'Scott', 'Cooper', 'Ward', 'Morris', 'King',
];

export const STREETS = ['Linthorpe Road', 'Acklam Road', 'Marton Road', 'Parliament Road', 'Newport Road', 'Borough Road', 'Union Street', 'Southfield Road', 'Cambridge Road', 'Green Lane', 'Church Lane', 'Station Road', 'The Crescent', 'Westbourne Grove', 'Ladgate Lane', 'Stokesley Road'];

export const PRACTICE_NAMES = ['Example Street Surgery', 'Riverside Medical Centre', 'Marton Health Centre', 'Park View Practice', 'Linthorpe Family Practice', 'Acklam Medical Group', 'Hemlington Surgery', 'Coulby Newham Practice', 'Berwick Hills Health Centre', 'Thorntree Surgery'];

/** Districts the practices serve (all in the TS area, where A81 practices are). */
export const DISTRICTS = ['TS1', 'TS3', 'TS4', 'TS5', 'TS6', 'TS7', 'TS8', 'TS9', 'TS10', 'TS12', 'TS14', 'TS17', 'TS18', 'TS19', 'TS20', 'TS23', 'TS25', 'TS26'];

export const POSTCODE_UNIT_LETTERS = 'ABDEFGHJLNPQRSTUWXYZ';

/** GP free text, realistic in shape — the kind of content that must never leave the practice. */
export const OBSERVATION_COMMENTS = [
  'Pt reports feeling much better since last review.',
  'Reading repeated after 5 minutes rest; second reading recorded.',
  'Discussed diet and exercise; leaflet given.',
  'Daughter present during consultation, consent for discussion given.',
  'Pt anxious about results, reassured. Partner has similar history.',
  'Patient disclosed difficulties at home; safeguarding discussed.',
  'Declined further tests at this time, wishes noted.',
  'Lives alone, neighbour checks in daily.',
];

export const CONSULTATION_SUMMARIES = [
  'Reviewed BP, advised lifestyle changes, recheck in 3 months.',
  'Annual diabetes review: feet checked, eyes booked, HbA1c taken.',
  'Cough for 2 weeks, chest clear, safety-netted.',
  'Med review: tolerating well, no side effects reported.',
  'Low mood since bereavement, counselling details given.',
  'Child with fever, well hydrated, parents reassured.',
  'Asthma review: inhaler technique checked, action plan updated.',
  'Patient discussed relationship problems and stress at work.',
];

export const REFERRAL_NOTES = [
  'Thank you for seeing this patient with a 3 week history of change in bowel habit.',
  'Please assess: new breast lump noticed by patient, no family history.',
  'Referred for specialist opinion; patient keen to be seen locally.',
  'Recurrent symptoms despite treatment, please advise on management.',
];

export const DOCUMENT_TITLES = [
  'Discharge summary - James Cook University Hospital',
  'Outpatient letter - cardiology clinic',
  'Scanned letter from solicitor re insurance report',
  'Blood results - haematology',
  'Physiotherapy assessment',
  'Letter from patient',
];

export const TARGET_SERVICES = ['Cardiology', 'Respiratory medicine', 'Colorectal surgery', 'Breast surgery', 'Diabetes and endocrinology', 'Physiotherapy', 'Dermatology', 'Mental health'];

export const CONSULTATION_TYPES: readonly (readonly [string, number])[] = [
  ['face to face', 60],
  ['telephone', 30],
  ['video', 5],
  ['home visit', 5],
];

export const APPOINTMENT_SLOTS: readonly (readonly [string, string, number, number])[] = [
  ['GP face to face', 'GP', 10, 45],
  ['GP telephone', 'GP', 10, 20],
  ['Nurse clinic', 'Practice Nurse', 15, 20],
  ['Bloods', 'Healthcare Assistant', 10, 10],
  ['Medication review', 'Clinical Pharmacist', 20, 5],
];
