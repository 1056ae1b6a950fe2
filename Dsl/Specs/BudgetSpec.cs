namespace XformerDsl.Specs
{
    /// <summary>
    /// A compute budget: at most <paramref name="MultAdds"/> multiply-accumulates per sentence of
    /// <paramref name="SentenceLength"/> tokens, counted by <see cref="ModelCard.MultAddsPerSentence"/>. See
    /// <see cref="TransformerAttribute.MultAddsBudget"/>.
    /// </summary>
    /// <param name="MultAdds">The most Mult-Adds a sentence may cost.</param>
    /// <param name="SentenceLength">The sentence length, in tokens, the count is taken at.</param>
    public sealed record BudgetSpec(long MultAdds, int SentenceLength);
}
