namespace XformerDsl.Generator.Families
{
    /// <summary>
    /// A parameter the model owns and the layers of one or more declarations use: Linformer's layerwise projection, one
    /// matrix for every layer. The model declares, creates and initialises it once (one field, one state-dict key); each
    /// layer that uses it is given a <c>Func&lt;Tensor&gt;</c> that reads it. TorchSharp's <c>RegisterComponents</c> does
    /// not register delegates, so the layers neither save it again nor hand it to the optimizer once per layer (as a
    /// decoder reads the encoder's shared embeddings).
    /// </summary>
    /// <param name="Field">The model's field, and the name of the layer constructor's parameter: e.g. <c>shared_e_proj</c>.</param>
    /// <param name="Documentation">The field's summary.</param>
    /// <param name="Create">The expression that creates it, in the model's constructor before the layers.</param>
    /// <param name="Initialize">The statement that initialises it, in the model's <c>InitializeWeights</c>.</param>
    internal sealed record ModelOwnedParameter(string Field, string Documentation, string Create, string Initialize);
}
