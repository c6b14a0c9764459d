/** Equations PyTorch/tf2onnx exports emit, plus implicit output, ellipsis and diagonal forms. */
export const EINSUM_CASES: Array<[string, number[][]]> = [
  [
    'bij,bjk->bik',
    [
      [2, 3, 4],
      [2, 4, 5],
    ],
  ],
  [
    'bhid,bhjd->bhij',
    [
      [2, 2, 3, 4],
      [2, 2, 5, 4],
    ],
  ],
  [
    'bhij,bhjd->bhid',
    [
      [2, 2, 3, 5],
      [2, 2, 5, 4],
    ],
  ],
  ['ij->ji', [[3, 4]]],
  ['bij->bj', [[2, 3, 4]]],
  ['i,j->ij', [[3], [4]]],
  [
    'ij,ij->i',
    [
      [3, 4],
      [3, 4],
    ],
  ],
  [
    'bn,nd->bd',
    [
      [2, 3],
      [3, 5],
    ],
  ],
  [
    '...ij,...jk->...ik',
    [
      [2, 3, 4],
      [2, 4, 5],
    ],
  ],
  [
    '...ij,jk->...ik',
    [
      [2, 2, 3, 4],
      [4, 5],
    ],
  ],
  [
    'ij,jk',
    [
      [3, 4],
      [4, 5],
    ],
  ],
  ['bi,i->b', [[2, 3], [3]]],
  ['ij,k->ik', [[3, 4], [5]]],
];
