namespace XformerDsl.Attention.Sinkhorn;

/// <summary>What a Sinkhorn attention layer was declared with (see <c>[SinkhornAttention]</c>).</summary>
/// <param name="Block">Tokens per block.</param>
/// <param name="Iterations">Sinkhorn normalisations, each a column then a row normalisation.</param>
/// <param name="Temperature">The Gumbel-Sinkhorn temperature dividing the sorting logits.</param>
/// <param name="Causal">Causal Sinkhorn balancing, causal local blocks.</param>
/// <param name="SortCut">When greater than 0, every query attends to the first SortCut sorted blocks only.</param>
public sealed record SinkhornSettings(int Block, int Iterations, double Temperature, bool Causal, int SortCut = 0)
{
    /// <summary>Checks the settings, naming what is wrong and the fix.</summary>
    /// <exception cref="ArgumentException">A block below 1, no iterations, a temperature that is not positive, SortCut below 0 or with Causal.</exception>
    public void Check()
    {
        if (Block < 1)
            throw new ArgumentException($"Sinkhorn attention: Block = {Block}; use at least 1 token per block.");
        if (Iterations < 1)
            throw new ArgumentException($"Sinkhorn attention: Iterations = {Iterations}; use at least 1 Sinkhorn normalisation.");
        if (!(Temperature > 0 && !double.IsInfinity(Temperature)))
            throw new ArgumentException($"Sinkhorn attention: Temperature = {Temperature}; use a finite temperature greater than 0, such as 0.75.");
        if (SortCut < 0 || (Causal && SortCut > 0))
            throw new ArgumentException($"Sinkhorn attention: SortCut = {SortCut}{(Causal ? " with Causal" : "")}; use 0, or a positive SortCut in a bidirectional layer.");
    }
}
