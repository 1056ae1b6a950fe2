using System;

namespace XformerDsl
{
    /// <summary>
    /// Full softmax attention (Vaswani et al., 2017): each query attends to every visible key,
    /// <c>softmax(Q Kᵀ / √headDim) V</c>, at O(L²) cost in the sequence length L. The baseline every efficient
    /// attention family is compared with. Applies to every layer, or to the layers named by
    /// <see cref="AttentionAttribute.Layers"/> or <see cref="AttentionAttribute.Every"/>.
    /// </summary>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
    public sealed class FullAttentionAttribute : AttentionAttribute
    {
    }
}
