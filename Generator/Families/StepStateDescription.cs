namespace XformerDsl.Generator.Families
{
    /// <summary>
    /// What one layer of a recurrent family keeps between steps, in the words of the generated <c>CreateState</c> summary.
    /// </summary>
    /// <param name="Attends">How the layer attends: <c>causal linear attention</c>.</param>
    /// <param name="Layers">Its layers as a plural subject: <c>Linear attention layers</c>.</param>
    /// <param name="Holds">What a layer keeps: <c>a key-value cache that grows with the position</c>.</param>
    /// <param name="FixedSize">True when that stays the same size whatever the position.</param>
    /// <param name="StepEquals">
    /// Null, or what a step's logits equal when it is not the parallel forward at each position, in the words of the
    /// generated <c>Step</c> summary after "equal to the logits of".
    /// </param>
    internal sealed record StepStateDescription(string Attends, string Layers, string Holds, bool FixedSize, string? StepEquals = null);
}
