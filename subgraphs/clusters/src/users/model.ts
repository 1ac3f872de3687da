/** The users feature's models (KubeSphere's iam.kubesphere.io Users on the host). */

export type UserStateValue = 'ACTIVE' | 'DISABLED' | 'AUTH_LIMIT_EXCEEDED';

export interface UserModel {
  name: string;
  email: string | null;
  displayName: string | null;
  state: UserStateValue;
  globalRole: string | null;
  createdAt: string;
}
