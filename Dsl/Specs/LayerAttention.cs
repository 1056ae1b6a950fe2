using System.Collections.Generic;
using System.Linq;

namespace XformerDsl.Specs
{
    /// <summary>One attention declaration of a model: the attention, and the layers it applies to.</summary>
    /// <param name="Attention">The attention family and its settings.</param>
    /// <param name="Layers">The layers it applies to.</param>
    /// <param name="Stack">In an encoder–decoder, the stack (or both) whose layers <paramref name="Layers"/> counts.</param>
    public sealed record LayerAttention(AttentionSpec Attention, LayerSelector Layers, ModelStack Stack = ModelStack.Both)
    {
        /// <summary>True when this declaration belongs to <paramref name="stack"/> (Encoder or Decoder).</summary>
        public bool AppliesTo(ModelStack stack) => Stack == ModelStack.Both || Stack == stack;
    }
}
