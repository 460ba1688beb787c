"""English function words for the stylometric profile.

Function words (articles, pronouns, prepositions, conjunctions, auxiliaries) are frequent, topic-poor
and largely unconscious, which makes their relative frequencies a classic authorship signal
(Mosteller & Wallace 1964; Burrows, "Delta", Literary and Linguistic Computing 17(3), 2002).
The list below is the union of the usual stylometry lists, kept short enough that every word is
frequent in 200-word passages.
"""

FUNCTION_WORDS: tuple[str, ...] = (
    "a", "about", "above", "after", "again", "against", "all", "almost", "also", "although",
    "always", "am", "among", "an", "and", "another", "any", "are", "as", "at",
    "be", "because", "been", "before", "being", "below", "between", "both", "but", "by",
    "can", "could", "did", "do", "does", "doing", "down", "during", "each", "either",
    "enough", "even", "ever", "every", "few", "for", "from", "further", "had", "has",
    "have", "having", "he", "her", "here", "hers", "herself", "him", "himself", "his",
    "how", "however", "i", "if", "in", "indeed", "into", "is", "it", "its",
    "itself", "just", "less", "like", "may", "me", "might", "mine", "more", "most",
    "much", "must", "my", "myself", "neither", "never", "no", "nor", "not", "now",
    "of", "off", "often", "on", "once", "one", "only", "or", "other", "ought",
    "our", "ours", "out", "over", "own", "perhaps", "quite", "rather", "same", "shall",
    "she", "should", "since", "so", "some", "still", "such", "than", "that", "the",
    "their", "them", "themselves", "then", "there", "therefore", "these", "they", "this", "those",
    "though", "through", "thus", "till", "to", "too", "under", "until", "up", "upon",
    "us", "very", "was", "we", "were", "what", "whatever", "when", "where", "whether",
    "which", "while", "who", "whom", "whose", "why", "will", "with", "within", "without",
    "would", "yet", "you", "your", "yours", "yourself",
)
