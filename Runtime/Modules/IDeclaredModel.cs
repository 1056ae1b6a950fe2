using XformerDsl.Specs;

namespace XformerDsl.Modules;

/// <summary>
/// A generated model, which knows what it was declared as: the trainer reads the objective from it (next-token for a
/// causal language model, masked tokens for <c>[MaskedLanguageModelHead]</c>, labels for <c>[ClassificationHead]</c>,
/// teacher-forced targets for an encoder–decoder). Generated classes implement it explicitly, with their static <c>Spec</c>.
/// </summary>
public interface IDeclaredModel
{
    /// <summary>The architecture the model was generated from, every default resolved.</summary>
    ModelSpec Declaration { get; }
}
