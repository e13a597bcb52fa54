package eval

// mmluCategory maps MMLU's 57 subjects to the four groups of the MMLU
// paper (Hendrycks et al., 2021), the per-category metrics SGLang-JAX
// reports next to the score. Unknown subjects count as "other".
var mmluCategory = map[string]string{}

func init() {
	groups := map[string][]string{
		"stem": {
			"abstract_algebra", "astronomy", "college_biology", "college_chemistry",
			"college_computer_science", "college_mathematics", "college_physics",
			"computer_security", "conceptual_physics", "electrical_engineering",
			"elementary_mathematics", "high_school_biology", "high_school_chemistry",
			"high_school_computer_science", "high_school_mathematics", "high_school_physics",
			"high_school_statistics", "machine_learning",
		},
		"humanities": {
			"formal_logic", "high_school_european_history", "high_school_us_history",
			"high_school_world_history", "international_law", "jurisprudence",
			"logical_fallacies", "moral_disputes", "moral_scenarios", "philosophy",
			"prehistory", "professional_law", "world_religions",
		},
		"social_sciences": {
			"econometrics", "high_school_geography", "high_school_government_and_politics",
			"high_school_macroeconomics", "high_school_microeconomics", "high_school_psychology",
			"human_sexuality", "professional_psychology", "public_relations",
			"security_studies", "sociology", "us_foreign_policy",
		},
		"other": {
			"anatomy", "business_ethics", "clinical_knowledge", "college_medicine",
			"global_facts", "human_aging", "management", "marketing", "medical_genetics",
			"miscellaneous", "nutrition", "professional_accounting", "professional_medicine",
			"virology",
		},
	}
	for cat, subjects := range groups {
		for _, s := range subjects {
			mmluCategory[s] = cat
		}
	}
}

// MMLUSubjects returns the number of MMLU subjects known.
func MMLUSubjects() int { return len(mmluCategory) }

// MMLUCategory returns the category of an MMLU subject.
func MMLUCategory(subject string) string {
	if c, ok := mmluCategory[subject]; ok {
		return c
	}
	return "other"
}
